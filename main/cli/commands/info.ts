// Commands that read: tasks ls, tasks rm, formats, status, doctor, plus login and logout.
import { join } from 'node:path';
import type { DoctorFinding, TaskStatus, TaskSummary } from '../../../preload/contract.js';
import type { CvatAuth } from '../../cvat/api.js';
import { runDoctor } from '../../cvat/doctor.js';
import { normaliseFingerprint } from '../../cvat/tls-trust.js';
import { readAgentIdAt } from '../../journal/claim-repo.js';
import { FileCredentialStore } from '../../service/credential-stores.js';
import { JOURNAL_FILE } from '../../service/index.js';
import type { CliContext } from '../context.js';
import { unwrap } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { formatBytes, table } from '../output.js';
import { usageError } from '../rule-options.js';
import { taskId } from './results.js';

const STATUSES: readonly TaskStatus[] = ['annotation', 'validation', 'completed'];

export async function tasksLs(
  ctx: CliContext,
  o: { project?: string; search?: string; status?: string },
): Promise<ExitCode> {
  if (o.status !== undefined && !STATUSES.includes(o.status as TaskStatus)) {
    throw usageError(`--status must be one of ${STATUSES.join(', ')}, not "${o.status}".`);
  }
  const projectId = o.project === undefined ? null : taskId(o.project);
  const service = await ctx.service({ mode: 'read-only' });
  const all: TaskSummary[] = [];
  for (let page = 1; ; page++) {
    const r = unwrap(
      await service.listTasks({
        page,
        pageSize: 100,
        sort: '-id',
        ...(o.search ? { search: o.search } : {}),
        projectId,
        status: (o.status as TaskStatus | undefined) ?? null,
      }),
    );
    all.push(...r.results);
    if (all.length >= r.count || r.results.length === 0) break;
  }
  if (ctx.out.json) {
    for (const t of all) ctx.out.record({ type: 'task', ...t }, () => null);
    return EXIT.ok;
  }
  if (all.length === 0) {
    ctx.out.line('No tasks.');
    return EXIT.ok;
  }
  ctx.out.line(
    table(
      ['ID', 'NAME', 'STATUS', 'JOBS', 'FRAMES', 'PROJECT', 'LOCAL FOLDER'],
      all.map((t) => [
        String(t.id),
        t.name,
        t.status,
        `${t.jobs.completed}/${t.jobs.count}`,
        String(t.size),
        t.projectName ?? (t.projectId !== null ? String(t.projectId) : '-'),
        t.localFolder?.path ?? '-',
      ]),
    ),
  );
  return EXIT.ok;
}

export async function tasksRm(ctx: CliContext, ids: string[]): Promise<ExitCode> {
  const parsed = ids.map(taskId);
  const service = await ctx.service({ mode: 'read-only' });
  const r = unwrap(await service.deleteTasks({ ids: parsed }));
  ctx.out.record(
    { type: 'deleted', ids: r.deleted },
    () => `Deleted ${r.deleted.map((i) => `task ${i}`).join(', ')}.`,
  );
  return EXIT.ok;
}

export async function formats(ctx: CliContext): Promise<ExitCode> {
  const service = await ctx.service({ mode: 'read-only' });
  const f = unwrap(await service.listFormats());
  if (ctx.out.json) {
    for (const e of f.exporters)
      ctx.out.record({ type: 'format', side: 'export', ...e }, () => null);
    for (const i of f.importers)
      ctx.out.record({ type: 'format', side: 'import', ...i }, () => null);
    return EXIT.ok;
  }
  const names = new Map<string, { exp: boolean; imp: boolean; ext: string; dim: string }>();
  for (const e of f.exporters)
    if (e.enabled) names.set(e.name, { exp: true, imp: false, ext: e.ext, dim: e.dimension });
  for (const i of f.importers) {
    if (!i.enabled) continue;
    const cur = names.get(i.name);
    if (cur) cur.imp = true;
    else names.set(i.name, { exp: false, imp: true, ext: i.ext, dim: i.dimension });
  }
  const rows = [...names.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, v]) => [name, v.exp ? 'yes' : '-', v.imp ? 'yes' : '-', v.ext, v.dim]);
  ctx.out.line(table(['FORMAT', 'EXPORT', 'IMPORT', 'EXT', 'DIM'], rows));
  return EXIT.ok;
}

export async function status(ctx: CliContext): Promise<ExitCode> {
  // The running daemon's live state when there is one, else the journal's.
  const client = await ctx.client({ write: false });
  const s = unwrap(await client.api.getStatus());
  const transfers = unwrap(await client.api.listTransfers({ limit: 50 }));
  const agentId = readAgentIdAt(join(ctx.dataDir, JOURNAL_FILE));
  ctx.out.record({ type: 'status', ...s, agentId, transfers }, () => {
    const c = s.connection;
    const lines = [
      `Agent: ${agentId ?? 'none yet (its id is made on the first sync)'}`,
      `Connection: ${c.state}${c.server ? ` to ${c.server}` : ''}${c.username ? ` as ${c.username}` : ''}${c.serverVersion ? ` (CVAT ${c.serverVersion})` : ''}${c.org ? `, org ${c.org}` : ''}`,
      `Queue: ${s.paused ? 'paused, ' : ''}${s.totals.active} active, ${s.totals.queued} queued, ${s.totals.failed} failed${s.totals.bytesTotal ? `, ${formatBytes(s.totals.bytesDone)} of ${formatBytes(s.totals.bytesTotal)}` : ''}`,
      `Folders: ${s.folders.length === 0 ? 'none' : ''}`,
      ...s.folders.map(
        (f) =>
          `  #${f.id} ${f.path}: ${f.paused ? 'paused' : f.health.state}${f.health.message ? ` (${f.health.message})` : ''}`,
      ),
    ];
    const open = transfers.filter((t) => t.state !== 'done' && t.state !== 'cancelled');
    if (open.length)
      lines.push(
        'Transfers:',
        ...open
          .slice(0, 20)
          .map(
            (t) =>
              `  ${t.id} ${t.kind} "${t.title}": ${t.state}${t.error ? ` - ${t.error.message}` : ''}`,
          ),
      );
    if (s.recentErrors.length)
      lines.push(
        'Recent errors:',
        ...s.recentErrors.map(
          (e) => `  ${new Date(e.at).toISOString()} ${e.message}${e.hint ? ` (${e.hint})` : ''}`,
        ),
      );
    return lines.join('\n');
  });
  return EXIT.ok;
}

const MARK: Record<DoctorFinding['status'], string> = {
  ok: 'ok  ',
  warn: 'WARN',
  fail: 'FAIL',
  skipped: 'skip',
};

/** This data folder's agent identity: how its tasks are told from other agents' (README.md). */
function agentFinding(agentId: string | null): DoctorFinding {
  return {
    id: 'agent',
    title: 'Agent identity',
    status: 'ok',
    detail:
      agentId === null
        ? 'none yet: it is made on the first sync'
        : `${agentId}: a task being created is named "<name> ‹cvat-sync ${agentId}-<batch>›" until it gets its default name`,
  };
}

export async function doctor(ctx: CliContext): Promise<ExitCode> {
  // The doctor runs on the raw credentials, not through a sign-in: a refused token is one of
  // the findings, not a reason to stop.
  const saved = await new FileCredentialStore(ctx.dataDir).load().catch(() => null);
  const explicit = await ctx.explicitSignIn(saved?.server ?? null);
  const server = explicit?.server ?? ctx.flags.server ?? saved?.server;
  if (!server)
    throw usageError(
      'doctor needs a server: pass --server URL, or sign in first (cvat-sync login).',
    );
  let auth: CvatAuth | null = null;
  if (explicit?.method === 'token' && explicit.token)
    auth = { kind: 'token', token: explicit.token };
  else if (explicit?.method === 'password' && explicit.username)
    auth = { kind: 'basic', username: explicit.username, password: explicit.password ?? '' };
  else if (saved && saved.server === server) auth = saved.auth;
  const org =
    ctx.flags.org !== undefined
      ? ctx.flags.org
      : explicit
        ? (explicit.org ?? null)
        : (saved?.org ?? null);
  // The same proxy, CA files and trusted certificates as every other command.
  const service = await ctx.service({ mode: 'read-only', offline: true, requireAuth: false });
  const trusted = saved && saved.server === server ? (saved.trusted ?? []) : [];
  const findings = [
    ...(await runDoctor({ server, auth, org, net: service.networkFor(trusted) })),
    agentFinding(readAgentIdAt(join(ctx.dataDir, JOURNAL_FILE))),
  ];
  for (const f of findings) {
    ctx.out.record(
      { type: 'finding', ...f },
      () =>
        `[${MARK[f.status]}] ${f.title}: ${f.detail}${f.fix && f.status !== 'ok' ? `\n       fix: ${f.fix}` : ''}`,
    );
  }
  const failed = findings.filter((f) => f.status === 'fail');
  if (failed.some((f) => f.id === 'reachable')) return EXIT.unreachable;
  if (failed.some((f) => f.id === 'auth')) return EXIT.auth;
  return failed.length ? EXIT.itemsFailed : EXIT.ok;
}

export async function login(
  ctx: CliContext,
  o: { trustFingerprint?: string } = {},
): Promise<ExitCode> {
  const profile = new FileCredentialStore(ctx.dataDir);
  const saved = await profile.load().catch(() => null);
  let request = await ctx.explicitSignIn(saved?.server ?? null);
  if (!request) {
    const server = ctx.flags.server ?? saved?.server;
    if (!server) throw usageError('login needs a server: pass --server URL (or set CVAT_SERVER).');
    if (!process.stdin.isTTY) {
      throw usageError(
        'No credentials given.',
        'Set CVAT_ACCESS_TOKEN, or pass --token-file FILE or --auth USER[:PASS].',
      );
    }
    const { promptHidden } = await import('../prompt.js');
    const token = (await promptHidden(`Personal access token for ${server}: `)).trim();
    request = { server, method: 'token', token, org: ctx.flags.org ?? null };
  }
  if (o.trustFingerprint !== undefined) {
    try {
      request = { ...request, trustFingerprint: normaliseFingerprint(o.trustFingerprint) };
    } catch (e) {
      throw usageError(`--trust-fingerprint: ${(e as Error).message}.`);
    }
  }
  // profileOnly: the service must not sign in on its own first, without the trust asked for.
  const service = await ctx.service({
    mode: 'read-only',
    requireAuth: false,
    store: profile,
    profileOnly: true,
  });
  const c = unwrap(await service.signIn(request));
  if (request.trustFingerprint)
    ctx.out.note(`Trusting the certificate ${request.trustFingerprint} for ${c.server}.`);
  ctx.out.record(
    { type: 'login', connection: c, profile: profile.path },
    () =>
      `Signed in to ${c.server} as ${c.username}${c.serverVersion ? ` (CVAT ${c.serverVersion})` : ''}${c.org ? `, organization ${c.org}` : ''}.\nProfile saved to ${profile.path} (readable only by you).`,
  );
  return EXIT.ok;
}

export async function logout(ctx: CliContext): Promise<ExitCode> {
  const profile = new FileCredentialStore(ctx.dataDir);
  const had = (await profile.load().catch(() => null)) !== null;
  await profile.clear();
  ctx.out.record({ type: 'logout', removed: had }, () =>
    had
      ? `Forgot the saved profile (${profile.path}). The server was not contacted: its key stays valid for other clients.`
      : 'No saved profile.',
  );
  return EXIT.ok;
}
