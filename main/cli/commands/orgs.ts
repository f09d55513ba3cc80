// orgs ls and orgs use: the organization switcher of the UI. With a daemon the switch applies to
// it; without one it is saved in the profile that later commands use.
import { FileCredentialStore } from '../../service/credential-stores.js';
import type { CliContext } from '../context.js';
import { unwrap } from '../context.js';
import { readDaemonFile } from '../daemon-file.js';
import { EXIT } from '../exit-codes.js';
import type { ExitCode } from '../exit-codes.js';
import { table } from '../output.js';
import { usageError } from '../rule-options.js';

export async function orgsLs(ctx: CliContext): Promise<ExitCode> {
  const client = await ctx.client({ write: false, requireAuth: true });
  const orgs = unwrap(await client.api.listOrganizations());
  const current = unwrap(await client.api.getConnection()).org || null;
  if (ctx.out.json) {
    for (const o of orgs)
      ctx.out.record({ type: 'organization', ...o, current: o.slug === current }, () => null);
    return EXIT.ok;
  }
  ctx.out.line(
    table(
      ['', 'SLUG', 'NAME', 'ID'],
      [
        [current === null ? '*' : '', '(personal)', 'Personal workspace', '-'],
        ...orgs.map((o) => [o.slug === current ? '*' : '', o.slug, o.name, String(o.id)]),
      ],
    ),
  );
  return EXIT.ok;
}

export async function orgsUse(
  ctx: CliContext,
  slug: string | undefined,
  o: { personal?: boolean },
): Promise<ExitCode> {
  if ((slug === undefined) === !o.personal)
    throw usageError('Give an organization slug or --personal (one of them).');
  if (slug !== undefined && !/^[\w-]{1,128}$/.test(slug))
    throw usageError(`"${slug}" is not an organization slug (see \`cvat-sync orgs ls\`).`);
  const org = o.personal ? null : (slug ?? null);
  if (!readDaemonFile(ctx.dataDir)) {
    const saved = await new FileCredentialStore(ctx.dataDir).load().catch(() => null);
    if (!saved)
      throw usageError(
        'No saved profile to switch.',
        'Save one with `cvat-sync login --org SLUG`, or pass --org SLUG (or CVAT_ORG) on each command.',
      );
  }
  const client = await ctx.client({ write: false, requireAuth: true, profileOnly: true });
  const c = unwrap(await client.api.setOrganization({ org }));
  ctx.out.record(
    { type: 'connection', ...c, via: client.via },
    () =>
      `Now using ${c.org ? `organization ${c.org}` : 'the personal workspace'} on ${c.server}${client.via === 'daemon' ? ' (in the running daemon)' : ' (saved in the profile)'}.`,
  );
  return EXIT.ok;
}
