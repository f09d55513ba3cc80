// The HTTP + SSE bridge the web GUI builds when there is no Electron preload.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHttpBridge, getBridge, setBridge, takeToken } from '../../renderer/src/lib/api.js';
import { FakeBridge, connected } from './fake-bridge.js';

class FakeEventSource {
  static instances: FakeEventSource[] = [];
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  readonly handlers = new Map<string, (m: MessageEvent<string>) => void>();
  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(name: string, fn: (m: MessageEvent<string>) => void): void {
    this.handlers.set(name, fn);
  }
  close(): void {
    this.closed = true;
  }
  send(name: string, data: unknown): void {
    this.handlers.get(name)?.({ data: JSON.stringify(data) } as MessageEvent<string>);
  }
}

afterEach(() => {
  FakeEventSource.instances = [];
  setBridge(null);
  vi.useRealTimers();
  sessionStorage.clear();
});

function bridge(fetchImpl: typeof fetch, token: string | null = 'tok') {
  return createHttpBridge({
    baseUrl: 'http://127.0.0.1:4000/',
    token,
    fetch: fetchImpl,
    EventSource: FakeEventSource as unknown as typeof EventSource,
    minDelayMs: 100,
    maxDelayMs: 1000,
  });
}

describe('HTTP bridge', () => {
  it('POSTs each method with the argument as JSON and the token as a bearer', async () => {
    const fetchImpl = vi.fn(
      async () => new Response(JSON.stringify({ ok: true, value: connected() }), { status: 200 }),
    );
    const b = bridge(fetchImpl as unknown as typeof fetch);
    const r = await b.signIn({ server: 'http://x', method: 'token', token: 'pat' });
    expect(r).toEqual({ ok: true, value: connected() });
    expect(fetchImpl).toHaveBeenCalledWith('http://127.0.0.1:4000/rpc/signIn', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok' },
      body: JSON.stringify({ server: 'http://x', method: 'token', token: 'pat' }),
    });
    await b.getStatus();
    expect(fetchImpl).toHaveBeenLastCalledWith(
      'http://127.0.0.1:4000/rpc/getStatus',
      expect.objectContaining({ body: '{}' }),
    );
    b.close();
  });

  it('passes error Results through and turns failures into Results, never throwing', async () => {
    const error = { code: 'auth', kind: 'fatal', message: 'Bad token', retryable: false };
    let mode = 'result';
    const fetchImpl = vi.fn(async () => {
      if (mode === 'throw') throw new TypeError('Failed to fetch');
      if (mode === 'text401')
        return new Response('Unauthorized: open the URL printed by `cvat-sync daemon`', {
          status: 401,
        });
      if (mode === 'html500') return new Response('<html>oops</html>', { status: 500 });
      return new Response(JSON.stringify({ ok: false, error }), { status: 200 });
    });
    const b = bridge(fetchImpl as unknown as typeof fetch);
    expect(await b.listTasks({ page: 1, pageSize: 100 })).toEqual({ ok: false, error });
    mode = 'throw';
    const offline = await b.listTasks({ page: 1, pageSize: 100 });
    expect(offline).toMatchObject({
      ok: false,
      error: { code: 'network', kind: 'transient', retryable: true },
    });
    expect(offline.ok ? '' : offline.error.hint).toMatch(/daemon/);
    mode = 'text401';
    expect(await b.getSettings()).toMatchObject({
      ok: false,
      error: { code: 'auth', kind: 'fatal', status: 401 },
    });
    mode = 'html500';
    expect(await b.getSettings()).toMatchObject({
      ok: false,
      error: { code: 'server', kind: 'transient', status: 500 },
    });
    b.close();
  });

  it('dispatches named SSE events, reconnects with backoff and reports the reconnect', async () => {
    vi.useFakeTimers();
    const b = bridge(vi.fn() as unknown as typeof fetch, 'a b');
    const es = FakeEventSource.instances[0] as FakeEventSource;
    expect(es.url).toBe('http://127.0.0.1:4000/events?token=a%20b');
    const links: Array<[string, boolean]> = [];
    b.onLink((state, reconnected) => links.push([state, reconnected]));
    const seen: unknown[] = [];
    const off = b.on('transfer-removed', (p) => seen.push(p));
    es.onopen?.();
    es.send('transfer-removed', { id: 't1' });
    es.send('folder-removed', { id: 3 });
    expect(seen).toEqual([{ id: 't1' }]);

    es.onerror?.();
    expect(es.closed).toBe(true);
    expect(FakeEventSource.instances).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(FakeEventSource.instances).toHaveLength(2);
    const second = FakeEventSource.instances[1] as FakeEventSource;
    second.onerror?.(); // still down: the next delay doubles
    await vi.advanceTimersByTimeAsync(140);
    expect(FakeEventSource.instances).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(FakeEventSource.instances).toHaveLength(3);
    const third = FakeEventSource.instances[2] as FakeEventSource;
    third.onopen?.();
    expect(links).toEqual([
      ['up', false],
      ['down', false],
      ['up', true],
    ]);
    third.send('transfer-removed', { id: 't2' });
    off();
    third.send('transfer-removed', { id: 't3' });
    expect(seen).toEqual([{ id: 't1' }, { id: 't2' }]);
    b.close();
    expect(third.closed).toBe(true);
  });
});

describe('token and bridge choice', () => {
  it('trades the sign-in code of the URL once, keeps the token for the tab and hides the code', async () => {
    window.sessionStorage.clear();
    const posted: { url: string; body: unknown }[] = [];
    const fakeFetch = (async (url: string, init?: RequestInit) => {
      posted.push({ url, body: JSON.parse(String(init?.body)) });
      return new Response(JSON.stringify({ ok: true, value: { token: 'XYZ' } }), { status: 200 });
    }) as typeof fetch;
    window.history.replaceState(null, '', '/?code=C1#/tasks');
    expect(await takeToken(fakeFetch)).toBe('XYZ');
    expect(posted).toEqual([{ url: `${window.location.origin}/session`, body: { code: 'C1' } }]);
    expect(window.location.search).toBe('');
    expect(window.location.hash).toBe('#/tasks');
    // after a reload the URL has no code, the tab still has the token
    expect(await takeToken(fakeFetch)).toBe('XYZ');
    expect(posted).toHaveLength(1);
  });

  it('never takes a token from the URL, and a refused code leaves the page unsigned', async () => {
    window.sessionStorage.clear();
    const refused = (async () =>
      new Response(JSON.stringify({ ok: false, error: {} }), { status: 401 })) as typeof fetch;
    window.history.replaceState(null, '', '/?token=XYZ');
    expect(await takeToken(refused)).toBeNull();
    window.history.replaceState(null, '', '/?code=spent');
    expect(await takeToken(refused)).toBeNull();
    expect(window.location.search).toBe('');
  });

  it('holds calls until a promised token arrives', async () => {
    const seen: (string | null)[] = [];
    const fakeFetch = (async (_url: string, init?: RequestInit) => {
      seen.push((init?.headers as Record<string, string>).authorization ?? null);
      return new Response(JSON.stringify({ ok: true, value: 1 }), { status: 200 });
    }) as typeof fetch;
    let give: (t: string) => void = () => undefined;
    const b = createHttpBridge({
      baseUrl: 'http://127.0.0.1:4000',
      token: new Promise<string>((r) => (give = r)),
      fetch: fakeFetch,
      EventSource: FakeEventSource as unknown as typeof EventSource,
    });
    const pending = b.getStatus();
    await Promise.resolve();
    expect(seen).toEqual([]);
    give('T1');
    await pending;
    expect(seen).toEqual(['Bearer T1']);
    await Promise.resolve();
    expect(FakeEventSource.instances.map((e) => e.url)).toEqual([
      'http://127.0.0.1:4000/events?token=T1',
    ]);
    b.close();
  });

  it('prefers the Electron preload bridge', () => {
    const fake = new FakeBridge();
    window.cvatSync = fake;
    try {
      expect(getBridge()).toBe(fake);
    } finally {
      delete window.cvatSync;
    }
  });
});
