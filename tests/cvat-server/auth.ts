// Authentication as CVAT's REST_FRAMEWORK settings (cvat/settings/base.py) chain it: Token,
// Bearer PAT (>= 2.48), session cookies with CSRF for unsafe methods, Basic. Also login/logout,
// users/self, PATs.
import type { Core } from './core.js';
import type { Ctx } from './http-kit.js';
import { CVAT_JSON, detail, fieldErrors, isoDate } from './http-kit.js';
import type { Router } from './router.js';
import type { PatRec, UserRec } from './store.js';
import { basicUser, fullUser } from './views.js';
import { readJson } from './body.js';
import { sendList } from './lists.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const DAY = 86_400_000;

const unauthorized = (message: string) => detail(401, message, { 'WWW-Authenticate': 'Token' });

function cookies(ctx: Ctx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (ctx.header('cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/** The 406 rule: Accept must allow application/vnd.cvat+json (or be absent / wildcard). */
export function negotiate(ctx: Ctx): void {
  const accept = ctx.header('accept');
  if (!accept || !accept.trim()) return;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((s) => s.trim());
    const t = type.toLowerCase();
    if (t !== '*/*' && t !== 'application/*' && t !== CVAT_JSON) continue;
    const version = params
      .find((p) => p.toLowerCase().startsWith('version='))
      ?.split('=')[1]
      ?.trim();
    if (t === CVAT_JSON && version !== undefined && version !== '2.0') {
      throw detail(406, 'Invalid version in "Accept" header.');
    }
    return;
  }
  throw detail(406, 'Could not satisfy the request Accept header.');
}

export class Auth {
  constructor(private readonly core: Core) {}

  newKey(): string {
    return this.core.rng.hex(20);
  }

  newPatValue(): string {
    return this.core.rng.hex(24);
  }

  async authenticate(ctx: Ctx): Promise<void> {
    const state = this.core.state;
    const header = ctx.header('authorization')?.trim() ?? '';
    const [scheme = '', ...rest] = header.split(/\s+/);
    const lower = scheme.toLowerCase();
    if (lower === 'token') {
      if (rest.length !== 1)
        throw unauthorized(
          rest.length
            ? 'Invalid token header. Token string should not contain spaces.'
            : 'Invalid token header. No credentials provided.',
        );
      const user = state.users.find((u) => u.key !== null && u.key === rest[0]);
      if (!user) throw unauthorized('Invalid token.');
      ctx.userId = user.id;
      ctx.session = { kind: 'token' };
      return;
    }
    if (lower === 'bearer' && this.core.atLeast('2.48')) {
      if (rest.length !== 1) throw unauthorized('Invalid token header. No credentials provided.');
      const pat = state.pats.find((p) => p.value === rest[0]);
      if (!pat) throw unauthorized('Invalid token.');
      if (pat.expiryDate !== null && pat.expiryDate <= this.core.now())
        throw unauthorized('Token has expired.');
      if (pat.lastUsedDate === null || this.core.now() - pat.lastUsedDate > DAY) {
        pat.lastUsedDate = this.core.now();
        await this.core.store.save();
      }
      ctx.userId = pat.userId;
      ctx.session = { kind: 'pat', patId: pat.id, readOnly: pat.readOnly };
      return;
    }
    const jar = cookies(ctx);
    const session = jar.sessionid ? state.sessions.find((s) => s.id === jar.sessionid) : undefined;
    if (session) {
      if (!SAFE.has(ctx.method)) this.checkCsrf(ctx, jar);
      ctx.userId = session.userId;
      ctx.session = { kind: 'session' };
      return;
    }
    if (lower === 'basic') {
      const decoded = Buffer.from(rest[0] ?? '', 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (rest.length !== 1 || i < 0)
        throw unauthorized('Invalid basic header. Credentials not correctly base64 encoded.');
      const user = this.check(decoded.slice(0, i), undefined, decoded.slice(i + 1));
      if (!user) throw unauthorized('Invalid username/password.');
      ctx.userId = user.id;
      ctx.session = { kind: 'basic' };
    }
  }

  private checkCsrf(ctx: Ctx, jar: Record<string, string>): void {
    const origin = ctx.header('origin');
    if (origin !== undefined && origin !== ctx.origin) {
      throw detail(
        403,
        `CSRF Failed: Origin checking failed - ${origin} does not match any trusted origins.`,
      );
    }
    if (!jar.csrftoken) throw detail(403, 'CSRF Failed: CSRF cookie not set.');
    const token = ctx.header('x-csrftoken');
    if (!token) throw detail(403, 'CSRF Failed: CSRF token missing.');
    if (token !== jar.csrftoken)
      throw detail(403, "CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect.");
  }

  requireUser(ctx: Ctx): void {
    if (ctx.userId === null) throw unauthorized('Authentication credentials were not provided.');
  }

  checkReadOnly(ctx: Ctx, allowed: boolean): void {
    if (ctx.session?.readOnly && !SAFE.has(ctx.method) && !allowed) {
      throw detail(403, 'This token is read-only and cannot be used for this action.');
    }
  }

  check(
    username: string | undefined,
    email: string | undefined,
    password: string,
  ): UserRec | undefined {
    const users = this.core.state.users;
    const user = username
      ? users.find((u) => u.username === username)
      : users.find((u) => u.email.toLowerCase() === (email ?? '').toLowerCase());
    return user && user.password === password ? user : undefined;
  }

  register(router: Router): void {
    const core = this.core;
    const state = core.state;

    router.add(
      'POST',
      /^\/api\/auth\/login\/?$/,
      async (ctx) => {
        const body = await readJson(ctx);
        const errors: Record<string, string[]> = {};
        if (typeof body.password !== 'string' || !body.password)
          errors.password = ['This field is required.'];
        if (Object.keys(errors).length) throw fieldErrors(errors);
        const username =
          typeof body.username === 'string' && body.username ? body.username : undefined;
        const email = typeof body.email === 'string' && body.email ? body.email : undefined;
        if (!username && !email)
          throw fieldErrors({
            non_field_errors: ['Must include "username" or "email" and "password".'],
          });
        const user = this.check(username, email, String(body.password));
        if (!user)
          throw fieldErrors({ non_field_errors: ['Unable to log in with provided credentials.'] });
        user.key ??= this.newKey();
        user.lastLogin = core.now();
        const sessionId = core.rng.hex(16);
        const csrf = core.rng.hex(32);
        state.sessions.push({ id: sessionId, userId: user.id, csrf });
        await core.store.save();
        ctx.res.setHeader('Set-Cookie', [
          `csrftoken=${csrf}; expires=${new Date(core.now() + 364 * DAY).toUTCString()}; Max-Age=31449600; Path=/; SameSite=Lax`,
          `sessionid=${sessionId}; expires=${new Date(core.now() + 14 * DAY).toUTCString()}; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax`,
          `sessionfresh=1; Max-Age=1209600; Path=/; SameSite=Lax`,
        ]);
        await ctx.sendJson(200, { key: user.key });
      },
      { public: true },
    );

    router.add(
      'POST',
      /^\/api\/auth\/logout\/?$/,
      async (ctx) => {
        const user = core.user(ctx.userId);
        if (user) {
          user.key = null;
          state.sessions = state.sessions.filter(
            (s) => s.userId !== user.id || s.id !== cookies(ctx).sessionid,
          );
          await core.store.save();
        }
        ctx.res.setHeader('Set-Cookie', [
          'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax',
        ]);
        await ctx.sendJson(200, { detail: 'Successfully logged out.' });
      },
      { public: true },
    );

    router.add('GET', /^\/api\/users\/self$/, async (ctx) => {
      const user = core.user(ctx.userId);
      if (!user) throw unauthorized('Authentication credentials were not provided.');
      await ctx.sendJson(200, fullUser(core, ctx, user));
    });

    router.add('GET', /^\/api\/users$/, async (ctx) => {
      await sendList(
        ctx,
        state.users,
        {
          fields: {
            id: (u) => u.id,
            username: (u) => u.username,
            first_name: (u) => u.firstName,
            last_name: (u) => u.lastName,
            is_active: () => true,
          },
          search: ['username', 'first_name', 'last_name'],
          simple: ['username', 'first_name', 'last_name', 'id', 'is_active'],
          defaultSort: 'id',
        },
        (u) => basicUser(ctx, u),
      );
    });

    router.add('GET', /^\/api\/users\/(?<id>\d+)$/, async (ctx) => {
      const user = core.user(Number(ctx.params.id));
      if (!user) throw detail(404, 'No User matches the given query.');
      await ctx.sendJson(
        200,
        user.id === ctx.userId ? fullUser(core, ctx, user) : basicUser(ctx, user),
      );
    });

    router.add(
      'GET',
      /^\/api\/server\/about$/,
      async (ctx) => {
        await ctx.sendJson(200, {
          name: 'Computer Vision Annotation Tool',
          subtitle:
            'CVAT is completely re-designed and re-implemented version of Video Annotation Tool from Irvine, California',
          description:
            'CVAT-compatible test server of CVAT Sync (emulating CVAT ' + core.opts.version + ').',
          version: core.opts.version,
          logo_url: ctx.absolute('/static/logo.svg'),
        });
      },
      { public: true },
    );

    if (!core.atLeast('2.48')) return;

    const patRead = (ctx: Ctx, p: PatRec, withValue: boolean): Record<string, unknown> => ({
      id: p.id,
      name: p.name,
      created_date: isoDate(p.createdDate),
      updated_date: isoDate(p.updatedDate),
      expiry_date: isoDate(p.expiryDate),
      last_used_date: isoDate(p.lastUsedDate),
      read_only: p.readOnly,
      owner: basicUser(ctx, core.user(p.userId)),
      ...(withValue ? { value: p.value } : {}),
    });

    router.add('POST', /^\/api\/auth\/access_tokens$/, async (ctx) => {
      const body = await readJson(ctx);
      const errors: Record<string, string[]> = {};
      if (typeof body.name !== 'string' || !body.name) errors.name = ['This field is required.'];
      else if (body.name.length > 50)
        errors.name = ['Ensure this field has no more than 50 characters.'];
      let expiry: number | null = null;
      if (body.expiry_date !== undefined && body.expiry_date !== null) {
        expiry = Date.parse(String(body.expiry_date));
        if (Number.isNaN(expiry))
          errors.expiry_date = [
            'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].',
          ];
        else if (expiry <= core.now())
          errors.expiry_date = ['The expiration date cannot be in the past.'];
      }
      if (Object.keys(errors).length) throw fieldErrors(errors);
      const pat = this.createPat(
        Number(ctx.userId),
        String(body.name),
        body.read_only === true,
        expiry,
      );
      await core.store.save();
      await ctx.sendJson(201, patRead(ctx, pat, true));
    });

    router.add('GET', /^\/api\/auth\/access_tokens$/, async (ctx) => {
      await sendList(
        ctx,
        state.pats.filter((p) => p.userId === ctx.userId),
        {
          fields: {
            id: (p) => p.id,
            name: (p) => p.name,
            read_only: (p) => p.readOnly,
            created_date: (p) => p.createdDate,
            expiry_date: (p) => p.expiryDate,
          },
          search: ['name'],
          simple: ['name', 'read_only'],
          defaultSort: '-id',
        },
        (p) => patRead(ctx, p, false),
      );
    });

    router.add('GET', /^\/api\/auth\/access_tokens\/self$/, async (ctx) => {
      const pat = state.pats.find((p) => p.id === ctx.session?.patId);
      if (!pat) throw detail(404, 'Not found.');
      await ctx.sendJson(200, patRead(ctx, pat, false));
    });

    router.add(['GET', 'DELETE'], /^\/api\/auth\/access_tokens\/(?<id>\d+)$/, async (ctx) => {
      const pat = state.pats.find((p) => p.id === Number(ctx.params.id) && p.userId === ctx.userId);
      if (!pat) throw detail(404, 'No AccessToken matches the given query.');
      if (ctx.method === 'DELETE') {
        state.pats = state.pats.filter((p) => p !== pat);
        await core.store.save();
        await ctx.sendEmpty(204);
        return;
      }
      await ctx.sendJson(200, patRead(ctx, pat, false));
    });
  }

  createPat(userId: number, name: string, readOnly: boolean, expiryDate: number | null): PatRec {
    const now = this.core.now();
    const pat: PatRec = {
      id: this.core.store.nextId('pat'),
      userId,
      name,
      value: this.newPatValue(),
      readOnly,
      expiryDate,
      createdDate: now,
      updatedDate: now,
      lastUsedDate: null,
    };
    this.core.state.pats.push(pat);
    return pat;
  }
}
