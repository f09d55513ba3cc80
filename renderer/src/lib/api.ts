// The only reader of the transport. In Electron the preload exposes window.cvatSync; in the
// daemon's web GUI we build the same SyncBridge over HTTP (POST /rpc/<method>) and Server-Sent
// Events (/events). Views and state classes see a SyncBridge and never learn which one it is.
import type {
  ContractError,
  EventName,
  MethodName,
  Result,
  SyncBridge,
  SyncEvents,
} from '../../../preload/contract.js';
import {
  EVENT_NAMES,
  EVENTS_PATH,
  METHOD_NAMES,
  RPC_PATH,
  SESSION_PATH,
} from '../../../preload/contract.js';

declare global {
  interface Window {
    cvatSync?: SyncBridge;
  }
}

/** Whether the push channel to the service is open. Electron's IPC is always 'up'. */
export type LinkState = 'up' | 'down';

export interface HttpBridge extends SyncBridge {
  readonly link: LinkState;
  /** `reconnected` is true when the channel came back after a drop: state must be refetched. */
  onLink(listener: (state: LinkState, reconnected: boolean) => void): () => void;
  close(): void;
}

export interface HttpBridgeOptions {
  /** Origin of the daemon, e.g. http://127.0.0.1:8123 */
  baseUrl: string;
  /** The session token, or its promise while a sign-in code is traded for it. */
  token: string | null | Promise<string | null>;
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
  /** Reconnect delays grow from this (ms) to maxDelayMs, with jitter. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

const TOKEN_KEY = 'cvat-sync.token';

function networkError(method: MethodName, detail: string): ContractError {
  return {
    code: 'network',
    kind: 'transient',
    message: `Cannot reach the CVAT Sync service (${method}: ${detail})`,
    retryable: true,
    hint: 'Check that `cvat-sync daemon` is still running, then reload this page.',
  };
}

function httpError(method: MethodName, status: number): ContractError {
  if (status === 401 || status === 403) {
    return {
      code: 'auth',
      kind: 'fatal',
      status,
      message: 'This page is not authorised to talk to the CVAT Sync service.',
      retryable: false,
      hint: 'Run `cvat-sync open` for a fresh sign-in link (each link works once).',
    };
  }
  return {
    code: status >= 500 ? 'server' : `http-${status}`,
    kind: status >= 500 ? 'transient' : 'item',
    status,
    message: `${method} failed: the service answered HTTP ${status}.`,
    retryable: status >= 500,
  };
}

function isResult(v: unknown): v is Result<unknown> {
  if (typeof v !== 'object' || v === null || !('ok' in v)) return false;
  const r = v as { ok: unknown; error?: unknown };
  return r.ok === true
    ? 'value' in v
    : r.ok === false && typeof r.error === 'object' && r.error !== null;
}

export function createHttpBridge(options: HttpBridgeOptions): HttpBridge {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const ES = options.EventSource ?? globalThis.EventSource;
  const minDelay = options.minDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 15_000;
  const base = options.baseUrl.replace(/\/$/, '');
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const linkListeners = new Set<(state: LinkState, reconnected: boolean) => void>();
  let link: LinkState = 'down';
  let everUp = false;
  let source: EventSource | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  // A promised token (a sign-in code being traded) holds calls and the event stream until it lands.
  let token = options.token instanceof Promise ? null : options.token;
  const tokenReady =
    options.token instanceof Promise
      ? options.token.then(
          (t) => void (token = t),
          () => undefined,
        )
      : null;

  async function call(method: MethodName, arg: unknown): Promise<Result<unknown>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (tokenReady) await tokenReady;
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await doFetch(`${base}${RPC_PATH}/${method}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(arg ?? {}),
      });
    } catch (e) {
      return { ok: false, error: networkError(method, e instanceof Error ? e.message : String(e)) };
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (_) {
      return {
        ok: false,
        error: response.ok
          ? networkError(method, 'unreadable answer')
          : httpError(method, response.status),
      };
    }
    if (isResult(body)) return body;
    return {
      ok: false,
      error: response.ok
        ? networkError(method, 'unexpected answer')
        : httpError(method, response.status),
    };
  }

  function setLink(next: LinkState): void {
    if (next === link) return;
    const reconnected = next === 'up' && everUp;
    if (next === 'up') everUp = true;
    link = next;
    for (const l of linkListeners) l(next, reconnected);
  }

  function dispatch(name: EventName, data: string): void {
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch (_) {
      return; // a torn message; the next status event or refetch repairs the view
    }
    for (const l of listeners.get(name) ?? []) (l as (p: unknown) => void)(payload);
  }

  function open(): void {
    if (closed || !ES) return;
    const url = `${base}${EVENTS_PATH}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
    const es = new ES(url);
    source = es;
    for (const name of EVENT_NAMES) {
      es.addEventListener(name, (m) => dispatch(name, (m as MessageEvent<string>).data));
    }
    es.onopen = () => {
      attempt = 0;
      setLink('up');
    };
    // EventSource retries by itself only on some failures and gives up on HTTP errors, so we
    // always close and reopen on our own schedule: exponential backoff with jitter.
    es.onerror = () => {
      es.close();
      if (source === es) source = null;
      setLink('down');
      if (closed) return;
      const delay = Math.min(maxDelay, minDelay * 2 ** attempt) * (0.75 + Math.random() * 0.5);
      attempt += 1;
      timer = setTimeout(() => {
        timer = null;
        open();
      }, delay);
    };
  }

  const bridge = {
    get link() {
      return link;
    },
    on<E extends EventName>(event: E, listener: (payload: SyncEvents[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    onLink(listener: (state: LinkState, reconnected: boolean) => void): () => void {
      linkListeners.add(listener);
      return () => linkListeners.delete(listener);
    },
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      source?.close();
      source = null;
    },
  } as HttpBridge;
  for (const method of METHOD_NAMES) {
    (bridge as unknown as Record<string, (arg?: unknown) => Promise<Result<unknown>>>)[method] = (
      arg,
    ) => call(method, arg);
  }
  if (tokenReady) void tokenReady.then(open);
  else open();
  return bridge;
}

/**
 * The daemon's page is opened as /?code=XYZ: a single-use sign-in code (the token itself never
 * travels in a URL). The code leaves the address bar at once and is traded for the session token,
 * kept for this tab so a reload stays signed in.
 */
export async function takeToken(
  doFetch: typeof fetch = globalThis.fetch.bind(globalThis),
): Promise<string | null> {
  const url = new URL(window.location.href);
  const code = url.searchParams.get('code');
  if (code) {
    url.searchParams.delete('code');
    window.history.replaceState(
      window.history.state,
      '',
      `${url.pathname}${url.search}${url.hash}`,
    );
    const token = await redeemCode(doFetch, code);
    if (token) {
      try {
        window.sessionStorage.setItem(TOKEN_KEY, token);
      } catch (_) {
        // storage disabled: the token still works for this page's lifetime
      }
      return token;
    }
  }
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch (_) {
    return null;
  }
}

async function redeemCode(doFetch: typeof fetch, code: string): Promise<string | null> {
  try {
    const response = await doFetch(`${window.location.origin}${SESSION_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    if (!response.ok) return null;
    const body = (await response.json()) as { ok?: boolean; value?: { token?: unknown } };
    return body.ok === true && typeof body.value?.token === 'string' ? body.value.token : null;
  } catch (_) {
    return null; // an unauthorised page says so at its first call, with the hint
  }
}

let current: SyncBridge | null = null;

/** window.cvatSync in Electron, else the HTTP + SSE bridge to the daemon that served this page. */
export function getBridge(): SyncBridge {
  if (current) return current;
  current =
    window.cvatSync ?? createHttpBridge({ baseUrl: window.location.origin, token: takeToken() });
  return current;
}

/** Tests and embedders inject their own bridge. */
export function setBridge(bridge: SyncBridge | null): void {
  current = bridge;
}

/** Push-channel state for bridges that have one (HTTP); others are always up. */
export function onLink(
  bridge: SyncBridge,
  listener: (state: LinkState, reconnected: boolean) => void,
): () => void {
  const maybe = bridge as Partial<HttpBridge>;
  if (typeof maybe.onLink === 'function') {
    listener(maybe.link ?? 'down', false);
    return maybe.onLink(listener);
  }
  listener('up', false);
  return () => {};
}
