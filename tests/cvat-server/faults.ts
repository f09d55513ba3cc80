// Fault injection: random 503s/resets/latency/bandwidth from a seeded PRNG, scripted one-off
// faults consumed in order, and traffic statistics. Resets are real socket destroys.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ctx } from './http-kit.js';
import type { Rng } from './prng.js';
import { CVAT_JSON } from './http-kit.js';

export interface FaultSettings {
  errorRate?: number;
  retryAfterSeconds?: number;
  resetRate?: number;
  latencyMs?: number;
  /** Each request on its own: n parallel requests get n times this. */
  bandwidthBytesPerSec?: number;
  /**
   * One link shared by every request, each direction on its own (a lab behind a VPN): parallel
   * requests share it. Network emulation, not CVAT behaviour.
   */
  linkBytesPerSec?: number;
}

/** A shared link in one direction: bytes queue behind each other at `rate` bytes per second. */
class Link {
  private freeAt = 0;
  constructor(readonly rate: number) {}
  /** Milliseconds until `bytes` handed over now have passed the link. */
  reserve(bytes: number): number {
    const now = performance.now();
    this.freeAt = Math.max(now, this.freeAt) + (bytes / this.rate) * 1000;
    return this.freeAt - now;
  }
}

/** `header`: the request carries this header (e.g. 'upload-multiple'), whatever its value. */
type Match = { method?: string; path?: RegExp | string; header?: string; times?: number };
/**
 * reset-request: cut the connection once `afterBytes` of the body arrived (the request has no
 * effect, as on CVAT: "cut the next PATCH after N bytes"). reset-response / drop-answer: the
 * request takes effect, then the connection drops after `afterBytes` of the answer (drop-answer:
 * none of it), so the client never learns the outcome.
 */
export type ScriptedFault = Match &
  (
    | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
    | { kind: 'reset-request'; afterBytes: number }
    | { kind: 'reset-response'; afterBytes: number }
    | { kind: 'drop-answer' }
    | { kind: 'hang'; ms: number }
  );

export interface FaultStats {
  requests: number;
  byMethod: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  /** startedAt/endedAt: epoch ms when the request arrived and when its response closed. */
  log: Array<{
    method: string;
    path: string;
    status: number;
    bytesIn: number;
    startedAt: number;
    endedAt: number;
  }>;
}

/** What an observer sees: a request arriving, or its answer's last byte handed to the socket. */
export interface WireEvent {
  /** One number per request, the same in its 'request', 'answered' and 'closed' events. */
  id: number;
  /** answered: the last byte of the answer went out; closed: the connection let go of it. */
  phase: 'request' | 'answered' | 'closed';
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
}

export interface FaultController {
  set(opts: FaultSettings): void;
  clear(): void;
  failNext(f: ScriptedFault): void;
  stats(): FaultStats;
  /** Calls `fn` for every request and answer (tests time kills by them); returns an unsubscribe. */
  observe(fn: (e: WireEvent) => void): () => void;
}

const LOG_LIMIT = 10_000;

export class Faults implements FaultController {
  private settings: FaultSettings = {};
  private scripted: Array<ScriptedFault & { remaining: number }> = [];
  private counters: FaultStats = { requests: 0, byMethod: {}, bytesIn: 0, bytesOut: 0, log: [] };

  constructor(private readonly rng: Rng) {}

  private link: { in: Link; out: Link } | null = null;

  set(opts: FaultSettings): void {
    this.settings = { ...this.settings, ...opts };
    const rate = this.settings.linkBytesPerSec;
    this.link = rate ? { in: new Link(rate), out: new Link(rate) } : null;
  }

  clear(): void {
    this.settings = {};
    this.scripted = [];
    this.link = null;
  }

  failNext(f: ScriptedFault): void {
    this.scripted.push({ ...f, remaining: f.times ?? 1 });
  }

  private observers = new Set<(e: WireEvent) => void>();

  observe(fn: (e: WireEvent) => void): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  private emit(ctx: Ctx, id: number, phase: WireEvent['phase']): void {
    if (this.observers.size === 0) return;
    const e: WireEvent = {
      id,
      phase,
      method: ctx.method,
      path: ctx.path,
      headers: ctx.req.headers,
      status: ctx.status,
    };
    for (const fn of this.observers) fn(e);
  }

  stats(): FaultStats {
    return {
      ...this.counters,
      byMethod: { ...this.counters.byMethod },
      log: [...this.counters.log],
    };
  }

  /** Wires byte counters and the request log into a context. */
  track(ctx: Ctx): void {
    this.counters.requests++;
    this.counters.byMethod[ctx.method] = (this.counters.byMethod[ctx.method] ?? 0) + 1;
    ctx.hooks.onBytesIn = (n) => (this.counters.bytesIn += n);
    ctx.hooks.onBytesOut = (n) => (this.counters.bytesOut += n);
    const startedAt = Date.now();
    const id = this.counters.requests;
    this.emit(ctx, id, 'request');
    ctx.res.once('finish', () => this.emit(ctx, id, 'answered'));
    ctx.res.once('close', () => this.emit(ctx, id, 'closed'));
    ctx.res.once('close', () => {
      this.counters.log.push({
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        bytesIn: ctx.bytesIn,
        startedAt,
        endedAt: Date.now(),
      });
      if (this.counters.log.length > LOG_LIMIT)
        this.counters.log.splice(0, this.counters.log.length - LOG_LIMIT);
    });
  }

  private matches(f: Match, ctx: Ctx): boolean {
    if (f.method && f.method.toUpperCase() !== ctx.method) return false;
    if (f.header && !ctx.hasHeader(f.header)) return false;
    if (f.path === undefined) return true;
    return typeof f.path === 'string' ? ctx.path.includes(f.path) : f.path.test(ctx.path);
  }

  /** Applies faults before routing. Returns false when the request was fully handled here. */
  async apply(ctx: Ctx): Promise<boolean> {
    const s = this.settings;
    if (s.bandwidthBytesPerSec) ctx.hooks.bandwidth = s.bandwidthBytesPerSec;
    const link = this.link;
    if (link) ctx.hooks.linkDelay = (dir, bytes) => link[dir].reserve(bytes);
    const index = this.scripted.findIndex((f) => f.remaining > 0 && this.matches(f, ctx));
    const f = index >= 0 ? this.scripted[index] : undefined;
    if (f) {
      if (--f.remaining <= 0) this.scripted.splice(index, 1);
      switch (f.kind) {
        case 'status':
          await this.respond(ctx, f.status, f.body, f.headers);
          return false;
        case 'hang':
          await sleep(f.ms);
          if (ctx.socketDead) return false;
          break;
        case 'reset-request':
          return this.resetRequest(ctx, f.afterBytes);
        case 'reset-response':
          ctx.hooks.responseResetAfter = f.afterBytes;
          break;
        case 'drop-answer':
          ctx.hooks.responseResetAfter = 0;
          break;
      }
      return true;
    }
    if (s.latencyMs) await sleep(s.latencyMs);
    if (s.errorRate && this.rng.next() < s.errorRate) {
      await this.respond(
        ctx,
        503,
        { detail: 'Service temporarily unavailable (injected fault).' },
        { 'Retry-After': String(s.retryAfterSeconds ?? 1) },
      );
      return false;
    }
    if (s.resetRate && this.rng.next() < s.resetRate) {
      const declared = Number(ctx.header('content-length') ?? 0);
      const where = this.rng.int(3);
      if (where === 0) return this.resetRequest(ctx, 0);
      if (where === 1 && declared > 1)
        return this.resetRequest(ctx, 1 + this.rng.int(declared - 1));
      ctx.hooks.responseResetAfter = this.rng.int(64 * 1024);
    }
    return true;
  }

  private resetRequest(ctx: Ctx, afterBytes: number): boolean {
    const declared = ctx.header('content-length');
    const hasBody =
      (declared !== undefined && Number(declared) > 0) ||
      ctx.header('transfer-encoding') !== undefined;
    if (afterBytes <= 0 || !hasBody) {
      ctx.req.socket.destroy();
      return false;
    }
    ctx.hooks.requestResetAfter = afterBytes;
    return true;
  }

  private async respond(
    ctx: Ctx,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<void> {
    if (body === undefined) return ctx.sendEmpty(status, headers);
    if (typeof body === 'string' && !headers['Content-Type'])
      return ctx.sendText(status, body, headers);
    await ctx.send(
      status,
      { 'Content-Type': CVAT_JSON, ...headers },
      Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    );
  }
}
