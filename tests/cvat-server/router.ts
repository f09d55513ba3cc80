// Route table plus the DRF request pipeline: content negotiation (406), authentication (401),
// read-only PAT rule (403), then the handler. HEAD is served by GET handlers, as in DRF viewsets.
import type { Ctx } from './http-kit.js';
import { detail, textError } from './http-kit.js';

export type Handler = (ctx: Ctx) => Promise<void>;

export interface RouteOptions {
  /** Anonymous callers allowed (AllowAny). */
  public?: boolean;
  /** A read-only PAT may call this unsafe endpoint (local export start). */
  readOnlyOk?: boolean;
}

interface Route extends RouteOptions {
  methods: string[];
  pattern: RegExp;
  handler: Handler;
}

export interface Pipeline {
  negotiate(ctx: Ctx): void;
  authenticate(ctx: Ctx): Promise<void>;
  requireUser(ctx: Ctx): void;
  checkReadOnly(ctx: Ctx, allowed: boolean): void;
}

const DJANGO_404 =
  '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n';

export class Router {
  private routes: Route[] = [];

  add(
    methods: string | string[],
    pattern: RegExp,
    handler: Handler,
    opts: RouteOptions = {},
  ): void {
    this.routes.push({
      methods: Array.isArray(methods) ? methods : [methods],
      pattern,
      handler,
      ...opts,
    });
  }

  async dispatch(ctx: Ctx, pipeline: Pipeline): Promise<void> {
    const candidates = this.routes.filter((r) => r.pattern.test(ctx.path));
    if (candidates.length === 0) throw textError(404, DJANGO_404);
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
    const route =
      candidates.find((r) => r.methods.includes(ctx.method)) ??
      candidates.find((r) => r.methods.includes(method));
    pipeline.negotiate(ctx);
    await pipeline.authenticate(ctx);
    if (!route) {
      if (!candidates.some((r) => r.public)) pipeline.requireUser(ctx);
      if (ctx.method === 'OPTIONS') {
        await ctx.sendJson(200, {
          name: 'Api Root',
          description: '',
          renders: ['application/vnd.cvat+json'],
          parses: ['application/json', 'multipart/form-data'],
        });
        return;
      }
      throw detail(405, `Method "${ctx.method}" not allowed.`);
    }
    if (!route.public) pipeline.requireUser(ctx);
    pipeline.checkReadOnly(ctx, !!route.readOnlyOk);
    const m = route.pattern.exec(ctx.path);
    ctx.params = { ...(m?.groups ?? {}) };
    await route.handler(ctx);
  }
}
