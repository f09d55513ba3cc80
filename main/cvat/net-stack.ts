// The network settings of one client, as one object threaded through every request path:
// which proxy (environment as curl reads it, a manual setting, the OS's, or none) and which
// certificates are trusted. Transport, TUS, bulk uploads, downloads and the doctor all take
// their http.Agent from here, so no path can go around the proxy or the trust.
import { SyncError } from '../core/errors.js';
import { NetAgent } from './net-agent.js';
import type { Route } from './net-agent.js';
import type { ProxyEndpoint, ProxyRules } from './proxy-rules.js';
import { NO_PROXY_RULES, proxyFor, proxyLabel, proxyRulesFromEnv } from './proxy-rules.js';
import { Trust } from './tls-trust.js';
import type { TrustOptions } from './tls-trust.js';

/** Answers the proxy for a URL asynchronously (Electron's session.resolveProxy in the app). */
export type ProxyResolver = (url: string) => Promise<ProxyEndpoint | null>;

export type ProxyChoice =
  | { kind: 'env'; env?: Readonly<Record<string, string | undefined>> }
  | { kind: 'manual'; proxy: ProxyEndpoint; noProxy?: readonly string[] }
  | { kind: 'resolver'; resolve: ProxyResolver }
  | { kind: 'none' };

export interface NetOptions {
  proxy?: ProxyChoice;
  trust?: TrustOptions;
  connectTimeoutMs?: number;
}

export class NetStack implements Route {
  readonly trust: Trust;
  readonly connectTimeoutMs: number;
  private readonly rules: ProxyRules;
  private readonly resolver: ProxyResolver | null;
  private readonly resolved = new Map<string, ProxyEndpoint | null>();
  private readonly agents: { http: NetAgent; https: NetAgent };

  constructor(readonly options: NetOptions = {}) {
    const choice = options.proxy ?? { kind: 'env' };
    this.trust = new Trust(options.trust);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.resolver = choice.kind === 'resolver' ? choice.resolve : null;
    this.rules =
      choice.kind === 'env'
        ? envRules(choice.env ?? process.env)
        : choice.kind === 'manual'
          ? { http: choice.proxy, https: choice.proxy, noProxy: choice.noProxy ?? [] }
          : NO_PROXY_RULES;
    this.agents = { http: new NetAgent(this, false), https: new NetAgent(this, true) };
  }

  /** The agent for requests to `url` (http.request / https.request's `agent`). */
  agentFor(url: string | URL): NetAgent {
    return new URL(url).protocol === 'https:' ? this.agents.https : this.agents.http;
  }

  /** Plain http with no proxy: nothing for our agent to do, Node's own agent serves it. */
  isPlainDirect(url: string): boolean {
    const u = new URL(url);
    return u.protocol === 'http:' && this.proxyFor(u) === null;
  }

  proxyFor(url: URL): ProxyEndpoint | null {
    if (this.resolver) return this.resolved.get(url.origin) ?? null;
    return proxyFor(this.rules, url);
  }

  /** Asks the resolver (if any) once per origin; call before the first request to `url`. */
  async prepare(url: string): Promise<void> {
    if (!this.resolver) return;
    const origin = new URL(url).origin;
    if (this.resolved.has(origin)) return;
    this.resolved.set(origin, await this.resolver(url));
  }

  /** "via proxy host:port" or "direct", for the doctor and logs (never credentials). */
  describeRoute(url: string): string {
    const p = this.proxyFor(new URL(url));
    return p ? `via proxy ${proxyLabel(p)}` : 'direct';
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

function envRules(env: Readonly<Record<string, string | undefined>>): ProxyRules {
  try {
    return proxyRulesFromEnv(env);
  } catch (e) {
    throw new SyncError(`The proxy environment variable is wrong: ${(e as Error).message}.`, {
      code: 'proxy-config',
      kind: 'fatal',
      operation: 'configure proxy',
      hint: 'Fix or unset it (e.g. HTTPS_PROXY=http://proxy.lab:3128), or choose a manual proxy or none in the settings.',
    });
  }
}

let fromEnv: NetStack | null = null;

/** The stack of a client given none: the environment's proxy and CA variables. */
export function defaultNetStack(): NetStack {
  fromEnv ??= new NetStack({ proxy: { kind: 'env' } });
  return fromEnv;
}

/** Parses what Electron's resolveProxy answers ("PROXY h:p; DIRECT", PAC syntax): the first usable entry. */
export function parsePacAnswer(answer: string): ProxyEndpoint | null {
  for (const part of answer.split(';')) {
    const m = /^\s*(PROXY|HTTPS|DIRECT|SOCKS\d?)\s*([^\s]*)\s*$/i.exec(part);
    if (!m) continue;
    const kind = m[1]!.toUpperCase();
    if (kind === 'DIRECT') return null;
    if (kind !== 'PROXY') continue; // SOCKS and HTTPS proxies are not supported: try the next
    const hp = /^\[?([^\]]+?)\]?:(\d+)$/.exec(m[2] ?? '');
    if (hp) return { host: hp[1]!, port: Number(hp[2]) };
  }
  return null;
}
