// Organization context (`org` / `org_id` query or X-Organization header) and who may see what.
// Lists and creates use the context; object endpoints use the object's own organization.
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import { detail, isoDate, listError } from './http-kit.js';
import type { Router } from './router.js';
import type { OrgRec } from './store.js';
import { sendList } from './lists.js';
import { basicUser } from './views.js';

export type OrgScope = { kind: 'all' } | { kind: 'personal' } | { kind: 'org'; org: OrgRec };

export function resolveOrg(core: Core, ctx: Ctx): OrgScope {
  const header = ctx.req.headers['x-organization'];
  const slugHeader = Array.isArray(header) ? header[0] : header;
  const slugQuery = ctx.query.get('org');
  const idQuery = ctx.query.get('org_id');
  if (idQuery !== null && (slugHeader !== undefined || slugQuery !== null)) {
    throw listError(
      'You cannot specify both org_id and org slug (org or X-Organization) at the same time',
    );
  }
  if (slugHeader !== undefined && slugQuery !== null && slugHeader !== slugQuery) {
    throw listError(
      'You cannot specify different organizations in the X-Organization header and the org query parameter',
    );
  }
  let org: OrgRec | undefined;
  if (idQuery !== null) {
    if (idQuery === '') return { kind: 'personal' };
    const id = Number(idQuery);
    org = Number.isInteger(id) ? core.state.orgs.find((o) => o.id === id) : undefined;
  } else {
    const slug = slugHeader ?? slugQuery;
    if (slug === undefined || slug === null) return { kind: 'all' };
    if (slug === '') return { kind: 'personal' };
    org = core.state.orgs.find((o) => o.slug === slug);
  }
  if (!org) throw detail(404, 'No Organization matches the given query.');
  if (ctx.userId !== null && !isMember(core, ctx.userId, org.id)) {
    throw detail(403, 'You do not have permission to perform this action.');
  }
  return { kind: 'org', org };
}

export function isMember(core: Core, userId: number, orgId: number): boolean {
  return core.state.memberships.some((m) => m.userId === userId && m.orgId === orgId);
}

/** Sandbox objects: owner or assignee. Organization objects: any member (roles are not modelled). */
export function canSee(
  core: Core,
  userId: number,
  obj: { orgId: number | null; ownerId: number; assigneeIds: Array<number | null> },
): boolean {
  if (obj.orgId !== null) return isMember(core, userId, obj.orgId);
  return obj.ownerId === userId || obj.assigneeIds.includes(userId);
}

export function inScope(scope: OrgScope, orgId: number | null): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'personal') return orgId === null;
  return orgId === scope.org.id;
}

export function scopeOrgId(scope: OrgScope): number | null {
  return scope.kind === 'org' ? scope.org.id : null;
}

export function registerOrgRoutes(core: Core, router: Router): void {
  const state = core.state;
  const orgRead = (ctx: Ctx, o: OrgRec) => ({
    id: o.id,
    slug: o.slug,
    name: o.name,
    description: '',
    created_date: isoDate(o.createdDate),
    updated_date: isoDate(o.updatedDate),
    contact: {},
    owner: basicUser(ctx, core.user(o.ownerId)),
  });

  router.add('GET', /^\/api\/organizations$/, async (ctx) => {
    const mine = state.orgs.filter((o) => isMember(core, Number(ctx.userId), o.id));
    await sendList(
      ctx,
      mine,
      {
        fields: {
          id: (o) => o.id,
          slug: (o) => o.slug,
          name: (o) => o.name,
          owner: (o) => core.user(o.ownerId)?.username ?? null,
        },
        search: ['slug', 'name', 'owner'],
        simple: ['slug', 'name', 'owner'],
        defaultSort: '-id',
      },
      (o) => orgRead(ctx, o),
    );
  });

  router.add('GET', /^\/api\/organizations\/(?<id>\d+)$/, async (ctx) => {
    const org = state.orgs.find((o) => o.id === Number(ctx.params.id));
    if (!org) throw detail(404, 'No Organization matches the given query.');
    if (!isMember(core, Number(ctx.userId), org.id))
      throw detail(403, 'You do not have permission to perform this action.');
    await ctx.sendJson(200, orgRead(ctx, org));
  });

  router.add('GET', /^\/api\/memberships$/, async (ctx) => {
    const scope = resolveOrg(core, ctx);
    const myOrgs = new Set(
      state.memberships.filter((m) => m.userId === ctx.userId).map((m) => m.orgId),
    );
    const rows = state.memberships.filter((m) => myOrgs.has(m.orgId) && inScope(scope, m.orgId));
    await sendList(
      ctx,
      rows,
      {
        fields: {
          id: (m) => m.id,
          user: (m) => core.user(m.userId)?.username ?? null,
          role: (m) => m.role,
          org: (m) => core.org(m.orgId)?.slug ?? null,
        },
        search: ['user', 'role'],
        simple: ['user', 'role'],
        defaultSort: '-id',
      },
      (m) => ({
        id: m.id,
        user: basicUser(ctx, core.user(m.userId)),
        organization: m.orgId,
        is_active: true,
        joined_date: isoDate(m.joinedDate),
        role: m.role,
        invitation: null,
      }),
    );
  });
}
