// The doctor's checks, in the order they run. Each is a small function over the probe transport
// that returns its findings, and may stop the run: the checks after it are then reported as
// skipped with its reason. Uploads fail behind proxies in three classic ways, each checked here:
// HEAD rewritten to GET (no resume), a TUS Location built with http behind an https proxy, and
// a request-size limit below our chunk size.
import type { ServerVersion } from './api.js';
import {
  bodyLimitFix,
  connectFailure,
  httpsRedirect,
  routeFinding,
  strippedAuthorization,
  tlsOk,
} from './doctor-network.js';
import type { DoctorFinding, DoctorOptions } from './doctor.js';
import type { ProbeTransport } from './doctor-transport.js';
import { parseVersion, tusChunkLimit, versionAtLeast } from './version.js';

/** What one run of the doctor knows so far; the checks fill it in as they go. */
export interface DoctorRun {
  server: string;
  options: DoctorOptions;
  probe: ProbeTransport;
  org: string | null;
  /** The largest body the size probe declares. */
  probeBytes: number;
  version: string;
  parsedVersion: ServerVersion | null;
  /** The answer of /api/users/self. */
  selfBody: string;
  readOnly: boolean;
  /** The throwaway upload's path on the configured server. */
  uploadPath: string;
}

export interface CheckOutcome {
  findings: DoctorFinding[];
  /** The run ends here; skipSelf: this check's own finding is among the skipped. */
  stop?: { reason: string; skipSelf?: boolean };
}

export interface DoctorCheck {
  id: string;
  title: string;
  run: (run: DoctorRun, check: DoctorCheck) => Promise<CheckOutcome>;
}

const MIB = 1024 * 1024;
const COLLECTION = '/api/tasks/backup/';

function finding(
  check: DoctorCheck,
  status: DoctorFinding['status'],
  detail: string,
  fix?: string,
): DoctorFinding {
  return {
    id: check.id,
    title: check.title,
    status,
    detail,
    ...(fix !== undefined ? { fix } : {}),
  };
}

const only = (...findings: DoctorFinding[]): CheckOutcome => ({ findings });

/** Reachability and version, no credentials needed; the network findings on the way. */
async function checkReachable(run: DoctorRun, check: DoctorCheck): Promise<CheckOutcome> {
  const { probe, server } = run;
  const findings: DoctorFinding[] = [];
  let about;
  try {
    about = await probe.send('GET', '/api/server/about', { anonymous: true });
  } catch (e) {
    const way = connectFailure(e);
    if (way) findings.push(way);
    const fix =
      way?.fix ??
      'Check the address, that the server is running, and any VPN, firewall or HTTPS proxy (HTTPS_PROXY) in between.';
    findings.push(
      finding(check, 'fail', `No answer from ${server}: ${(e as Error).message}.`, fix),
    );
    return { findings, stop: { reason: 'The server is not reachable.' } };
  }
  const route = routeFinding(probe.net, server);
  if (route) findings.push(route);
  const redirect = httpsRedirect(server, about.headers.location);
  if (redirect)
    return { findings: [...findings, redirect], stop: { reason: 'The server URL redirects.' } };
  const tls = tlsOk(server);
  if (tls) findings.push(tls);
  if (about.status >= 300 && about.status < 400) {
    findings.push(
      finding(
        check,
        'fail',
        `${server}/api/server/about redirects (${about.status}) to ${about.headers.location ?? '?'}.`,
        'Use the address the server redirects to (often https:// instead of http://) as the server URL.',
      ),
    );
    return { findings, stop: { reason: 'The server URL redirects.' } };
  }
  const version = about.status === 200 ? readVersion(about.body) : null;
  if (version === null) {
    findings.push(
      finding(
        check,
        'fail',
        `${server}/api/server/about answered ${about.status} without a CVAT version: this does not look like a CVAT server.`,
        'Use the address of the CVAT web UI (without /api), and check that a proxy is not answering in its place.',
      ),
    );
    return { findings, stop: { reason: 'The server is not a CVAT server.' } };
  }
  findings.push(finding(check, 'ok', `${server} answers as CVAT.`));
  run.version = version;
  run.parsedVersion = parseVersion(version);
  return { findings };
}

/** The version, and the upload chunk limit of the releases that have one. */
async function checkVersion(run: DoctorRun, check: DoctorCheck): Promise<CheckOutcome> {
  const { version, parsedVersion } = run;
  const old = parsedVersion !== null && !versionAtLeast(parsedVersion, '2.16.0');
  const findings = [
    old
      ? finding(
          check,
          'warn',
          `CVAT ${version}: older than 2.16, so exports and task creation use the legacy endpoints.`,
          'Upgrade CVAT to a current release for request tracking and reliable exports.',
        )
      : finding(check, 'ok', `CVAT ${version}.`),
  ];
  const chunkLimit = parsedVersion ? tusChunkLimit(parsedVersion) : null;
  if (chunkLimit !== null) {
    const chunk = run.options.chunkBytes;
    const capped = chunk !== undefined && chunk > chunkLimit;
    findings.push({
      id: 'chunk-limit',
      title: 'Upload chunk size',
      status: 'ok',
      detail: capped
        ? `CVAT ${version} reads each upload chunk into memory and refuses one over ${formatMiB(chunkLimit)} (400): chunks are capped at ${formatMiB(chunkLimit)} instead of the configured ${formatMiB(chunk)}.`
        : `CVAT ${version} refuses upload chunks over ${formatMiB(chunkLimit)} (fixed in 2.55); chunks are capped there${chunk !== undefined ? ` (configured: ${formatMiB(chunk)})` : ''}.`,
    });
  }
  return { findings };
}

/** Credentials: accepted, and able to write (a read-only token cannot upload). */
async function checkAuth(run: DoctorRun, check: DoctorCheck): Promise<CheckOutcome> {
  const { probe, server, options } = run;
  if (!options.auth) {
    const fix = 'Sign in (cvat-sync login) or pass a personal access token (CVAT_ACCESS_TOKEN).';
    return {
      findings: [finding(check, 'skipped', 'No credentials given.', fix)],
      stop: { reason: 'Not signed in.' },
    };
  }
  const self = await probe.send('GET', '/api/users/self').catch((e: Error) => e);
  if (self instanceof Error || self.status !== 200) {
    const findings: DoctorFinding[] = [];
    const status = self instanceof Error ? self.message : `HTTP ${self.status}`;
    const stripped =
      self instanceof Error
        ? null
        : strippedAuthorization(probe.net, server, self.status, self.body);
    if (stripped) findings.push(stripped);
    const fix =
      options.auth.kind === 'token'
        ? 'The personal access token is wrong, expired or revoked: create a new one in CVAT (user menu > Access tokens) and sign in again.'
        : 'The password or login key is wrong or was revoked (a logout elsewhere revokes a shared key): sign in again.';
    findings.push(finding(check, 'fail', `The server refused the credentials (${status}).`, fix));
    return { findings, stop: { reason: 'Not authenticated.' } };
  }
  run.selfBody = self.body;
  const username = readField(self.body, 'username') ?? '?';
  if (options.auth.kind === 'token') {
    const info = await probe.send('GET', '/api/auth/access_tokens/self').catch(() => null);
    run.readOnly = info?.status === 200 && readField(info.body, 'read_only') === true;
  }
  return only(
    run.readOnly
      ? finding(
          check,
          'fail',
          `Signed in as ${username} with a read-only token: it cannot create tasks or upload.`,
          'Create a personal access token without "read only" and sign in with it.',
        )
      : finding(check, 'ok', `Signed in as ${username}.`),
  );
}

/**
 * CVAT builds every absolute link (an object's `url`, an export's result_url) from the Host or
 * X-Forwarded-Host it was asked with, so /api/users/self tells where result_url would point.
 */
async function checkResultHost(run: DoctorRun, check: DoctorCheck): Promise<CheckOutcome> {
  const selfUrl = readField(run.selfBody, 'url');
  const serverOrigin = new URL(run.server).origin;
  let origin: string | null = null;
  try {
    origin = typeof selfUrl === 'string' ? new URL(selfUrl).origin : null;
  } catch {
    origin = null;
  }
  if (origin === null)
    return only(finding(check, 'skipped', 'The server did not name its own address.'));
  if (origin === serverOrigin) return only(finding(check, 'ok', `Links point to ${origin}.`));
  return only(
    finding(
      check,
      'warn',
      `CVAT builds its links (export and backup results) with ${origin}, but the server is ${serverOrigin}. Downloads are fetched from ${serverOrigin} with the same path and query (host rewrite); credentials are never sent to ${origin}.`,
      'Make the proxy pass the original Host header (or set X-Forwarded-Host to the public host name) so that CVAT names the address clients use.',
    ),
  );
}

async function checkOrg(run: DoctorRun, check: DoctorCheck): Promise<CheckOutcome> {
  const { org } = run;
  if (!org) return only(finding(check, 'ok', 'Personal workspace.'));
  const list = await run.probe
    .send('GET', '/api/tasks', { query: { page_size: '1', org } })
    .catch((e: Error) => e);
  if (!(list instanceof Error) && list.status === 200)
    return only(finding(check, 'ok', `Organization "${org}" is available.`));
  return only(
    finding(
      check,
      'fail',
      `Organization "${org}" is not available (${list instanceof Error ? list.message : `HTTP ${list.status}`}).`,
      'Check the slug (shown in CVAT under Organization) and that this user is a member, or use the personal workspace.',
    ),
  );
}

async function checkTusOptions(run: DoctorRun, check: DoctorCheck): Promise<CheckOutcome> {
  const answer = await run.probe.send('OPTIONS', COLLECTION, { tus: true }).catch((e: Error) => e);
  const offered =
    !(answer instanceof Error) &&
    answer.status < 300 &&
    answer.headers['tus-resumable'] !== undefined;
  if (offered) return only(finding(check, 'ok', 'The server advertises TUS 1.0.0.'));
  return only(
    finding(
      check,
      'warn',
      `OPTIONS ${COLLECTION} answered ${answer instanceof Error ? answer.message : `${answer.status} without Tus-Resumable`}.`,
      'Let the proxy pass OPTIONS requests and the Tus-* response headers through to CVAT unchanged.',
    ),
  );
}

/**
 * A throwaway backup-import upload that is never finished (CVAT deletes such left-overs after a
 * few days): its Location must be on the server's own origin.
 */
async function checkTusLocation(run: DoctorRun, check: DoctorCheck): Promise<CheckOutcome> {
  const { server } = run;
  if (run.readOnly)
    return { findings: [], stop: { reason: 'A read-only token cannot upload.', skipSelf: true } };
  const created = await run.probe
    .createThrowawayUpload(COLLECTION, run.org, run.probeBytes)
    .catch((e: Error) => e);
  if (created instanceof Error) {
    const reason = `Could not start a test upload: ${created.message}.`;
    return { findings: [], stop: { reason, skipSelf: true } };
  }
  const serverOrigin = new URL(server).origin;
  const location = new URL(created, server);
  // Keep probing through the configured server even when the Location is wrong.
  run.uploadPath = location.pathname + location.search;
  if (location.origin === serverOrigin)
    return only(finding(check, 'ok', `Uploads continue at ${location.origin}.`));
  return only(
    finding(
      check,
      'fail',
      `CVAT tells clients to continue uploads at ${location.origin}, but the server is ${serverOrigin}: uploads break (mixed content, lost credentials).`,
      location.protocol !== new URL(server).protocol
        ? 'The proxy terminates HTTPS but CVAT builds http:// links: make the proxy send X-Forwarded-Proto: https (and X-Forwarded-Host), or set CVAT_HOST to the public host name.'
        : 'Set CVAT_HOST to the public host name, and make the proxy pass the Host header (or X-Forwarded-Host) through.',
    ),
  );
}

async function checkTusHead(run: DoctorRun, check: DoctorCheck): Promise<CheckOutcome> {
  const head = await run.probe.send('HEAD', run.uploadPath, { tus: true }).catch((e: Error) => e);
  const offset = head instanceof Error ? undefined : head.headers['upload-offset'];
  if (!(head instanceof Error) && head.status === 200 && offset !== undefined)
    return only(
      finding(check, 'ok', `HEAD on the upload answered 200 with Upload-Offset ${String(offset)}.`),
    );
  return only(
    finding(
      check,
      'fail',
      `HEAD on the upload answered ${head instanceof Error ? head.message : `${head.status}${offset === undefined ? ' without Upload-Offset' : ''}`}: a proxy probably turns HEAD into GET, so interrupted uploads cannot resume.`,
      'Configure the proxy to forward HEAD as HEAD (nginx: do not use proxy_cache for /api/; Traefik/others: disable HEAD-to-GET rewriting) and to pass Upload-Offset through.',
    ),
  );
}

/** The size probe declares a large body but sends none. */
async function checkBodyLimit(run: DoctorRun, check: DoctorCheck): Promise<CheckOutcome> {
  const { probe, probeBytes } = run;
  const limit = await probe
    .probeBodyLimit(run.uploadPath, probeBytes, run.options.sizeProbeWaitMs ?? 3_000)
    .catch((e: Error) => e);
  const size = formatMiB(probeBytes);
  if (limit instanceof Error)
    return only(finding(check, 'warn', `The size probe failed: ${limit.message}.`));
  if (limit !== 413) return only(finding(check, 'ok', `A request declaring ${size} is accepted.`));
  return only(
    finding(
      check,
      'fail',
      `A request declaring ${size} was refused with 413 before any byte was sent.`,
      bodyLimitFix(probe.net, run.server, size) ??
        `Raise the proxy's body limit above ${size} (nginx: client_max_body_size 1G; Traefik: buffering maxRequestBodyBytes), or lower the chunk size in Settings.`,
    ),
  );
}

/** The table: one row a check, in the order they run and their findings are listed. */
export const DOCTOR_CHECKS: readonly DoctorCheck[] = [
  { id: 'reachable', title: 'Server reachable', run: checkReachable },
  { id: 'version', title: 'Server version', run: checkVersion },
  { id: 'auth', title: 'Signed in', run: checkAuth },
  { id: 'result-host', title: 'Download links point to the server', run: checkResultHost },
  { id: 'org', title: 'Organization', run: checkOrg },
  { id: 'tus-options', title: 'Resumable uploads (TUS) offered', run: checkTusOptions },
  { id: 'tus-location', title: 'Upload address matches the server', run: checkTusLocation },
  { id: 'tus-head', title: 'HEAD requests reach CVAT (upload resume)', run: checkTusHead },
  { id: 'body-limit', title: 'Request size limit', run: checkBodyLimit },
];

export function formatMiB(bytes: number): string {
  return `${Math.round((bytes / MIB) * 10) / 10} MiB`;
}

function readVersion(body: string): string | null {
  const version = readField(body, 'version');
  return typeof version === 'string' && version !== '' ? version : null;
}

function readField(body: string, field: string): unknown {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    return parsed && typeof parsed === 'object' ? parsed[field] : undefined;
  } catch {
    return undefined;
  }
}
