// Which HTTP proxy a request goes through, read the way curl reads its environment:
//   https_proxy / HTTPS_PROXY for https URLs, http_proxy (lowercase only: curl ignores
//   HTTP_PROXY, a CGI server sets it from a request header) for http URLs, all_proxy / ALL_PROXY
//   as the fallback for both, and no_proxy / NO_PROXY to bypass: a comma- or space-separated
//   list of host names (matched as a suffix at a dot; a leading dot is ignored), IP addresses,
//   `*` for everything, and, beyond curl, `host:port` to bypass only that port. Lowercase wins
//   over uppercase, as in curl. A proxy URL without a scheme is http://, without a port 1080.

export interface ProxyEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
}

export interface ProxyRules {
  http: ProxyEndpoint | null;
  https: ProxyEndpoint | null;
  noProxy: readonly string[];
}

export const NO_PROXY_RULES: ProxyRules = { http: null, https: null, noProxy: [] };

/** Parses `http://user:pass@host:port`; throws with a message naming what is wrong. */
export function parseProxyUrl(text: string): ProxyEndpoint {
  const raw = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new Error(`"${text}" is not a proxy address (expected http://host:port)`);
  }
  if (u.protocol !== 'http:')
    throw new Error(
      `proxy "${text}": only http:// proxies are supported (got ${u.protocol.slice(0, -1)})`,
    );
  if (!u.hostname) throw new Error(`proxy "${text}" has no host name`);
  const out: ProxyEndpoint = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 1080,
  };
  if (u.username) out.username = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  return out;
}

function pick(env: Readonly<Record<string, string | undefined>>, ...names: string[]): string {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v.trim() !== '') return v;
  }
  return '';
}

/** The proxy rules of an environment; an unparsable variable throws, naming it. */
export function proxyRulesFromEnv(env: Readonly<Record<string, string | undefined>>): ProxyRules {
  const parse = (name: string, value: string): ProxyEndpoint | null => {
    if (!value) return null;
    try {
      return parseProxyUrl(value);
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}`);
    }
  };
  const all = pick(env, 'all_proxy', 'ALL_PROXY');
  const https = pick(env, 'https_proxy', 'HTTPS_PROXY') || all;
  const http = pick(env, 'http_proxy') || all;
  return {
    https: parse('HTTPS_PROXY', https),
    http: parse('http_proxy', http),
    noProxy: splitNoProxy(pick(env, 'no_proxy', 'NO_PROXY')),
  };
}

export function splitNoProxy(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

/** True when `host:port` is exempt from the proxy under `noProxy`. */
export function bypassesProxy(noProxy: readonly string[], host: string, port: number): boolean {
  const h = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  for (const entry of noProxy) {
    if (entry === '*') return true;
    let name = entry;
    let onlyPort: number | null = null;
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (m) {
      name = m[1]!;
      onlyPort = Number(m[2]);
    }
    name = name
      .replace(/^\[|\]$/g, '')
      .replace(/^\*?\./, '')
      .replace(/\.$/, '');
    if (onlyPort !== null && onlyPort !== port) continue;
    if (h === name || h.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The proxy for `url` under `rules`, or null to connect directly. */
export function proxyFor(rules: ProxyRules, url: URL): ProxyEndpoint | null {
  const proxy = url.protocol === 'https:' ? rules.https : rules.http;
  if (!proxy) return null;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return bypassesProxy(rules.noProxy, url.hostname, port) ? null : proxy;
}

/** `host:port` of a proxy, for messages (never its credentials). */
export function proxyLabel(p: ProxyEndpoint): string {
  return `${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`;
}
