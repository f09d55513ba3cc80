import { describe, expect, it, vi } from 'vitest';
import type { ContractError, Result, SyncApi } from '../../../preload/contract.js';
import { IPC_EVENT_CHANNEL, IPC_INVOKE_PREFIX, METHOD_NAMES } from '../../../preload/contract.js';
import { silentLogger } from '../../../main/core/logger.js';
import { SyncError } from '../../../main/core/errors.js';
import { parseMethodArg } from '../../../main/service/contract-schemas.js';
import type { TrustedTarget } from '../../../main/app/ipc.js';
import {
  MAX_PAYLOAD_BYTES,
  eventForwarder,
  payloadSize,
  registerIpcHandlers,
} from '../../../main/app/ipc.js';
import type { FakeFrame } from './fake-electron.js';
import { FakeWebContents } from './fake-electron.js';

type Handler = (event: unknown, ...args: unknown[]) => Promise<unknown>;

/** ipcMain as Electron behaves: one handler per channel; invoking another channel rejects. */
class FakeIpcMain {
  handlers = new Map<string, Handler>();
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  async invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h)
      throw new Error(
        `Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`,
      );
    return h(event, ...args);
  }
}

/** A service whose every method records its call and answers {ok: true, value: {method, arg}}. */
function fakeService(): SyncApi & { calls: Array<{ method: string; arg: unknown }> } {
  const calls: Array<{ method: string; arg: unknown }> = [];
  const service = { calls } as unknown as SyncApi & { calls: typeof calls };
  for (const name of METHOD_NAMES) {
    (service as unknown as Record<string, unknown>)[name] = async (arg: unknown) => {
      calls.push({ method: name, arg });
      return { ok: true, value: { method: name, arg } };
    };
  }
  return service;
}

function setup(overrides: Partial<Parameters<typeof registerIpcHandlers>[0]> = {}) {
  const ipcMain = new FakeIpcMain();
  const contents = new FakeWebContents();
  const service = fakeService();
  const trustedContents = contents as unknown as TrustedTarget['contents'];
  const target: { current: TrustedTarget | null } = { current: { contents: trustedContents } };
  const afterCall = vi.fn();
  const unregister = registerIpcHandlers({
    ipcMain: ipcMain as unknown as Parameters<typeof registerIpcHandlers>[0]['ipcMain'],
    service,
    parseArg: parseMethodArg,
    trusted: () => target.current,
    logger: silentLogger,
    afterCall,
    ...overrides,
  });
  const eventFrom = (frame: FakeFrame | null, sender: { id: number } = contents) => ({
    sender,
    senderFrame: frame,
  });
  const call = (method: string, event: unknown, ...args: unknown[]) =>
    ipcMain.invoke(IPC_INVOKE_PREFIX + method, event, ...args) as Promise<Result<unknown>>;
  return { ipcMain, contents, service, target, afterCall, unregister, eventFrom, call };
}

function expectError(result: Result<unknown>, code: string): ContractError {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  expect(result.error.code).toBe(code);
  expect(typeof result.error.message).toBe('string');
  expect(result.error.retryable).toBe(false);
  expect(['fatal', 'item', 'transient']).toContain(result.error.kind);
  return result.error;
}

describe('IPC transport', () => {
  it('registers exactly one handler per contract method and nothing else', () => {
    const { ipcMain, unregister } = setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual(
      METHOD_NAMES.map((m) => IPC_INVOKE_PREFIX + m).sort(),
    );
    unregister();
    expect(ipcMain.handlers.size).toBe(0);
  });

  it('logs the names of the calls that change something, as the contract marks them', async () => {
    const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const logger = {
      ...silentLogger,
      info: (message: string, fields?: Record<string, unknown>) =>
        void lines.push({ message, fields }),
    };
    const { call, contents, eventFrom } = setup({ logger });
    await call('listFolders', eventFrom(contents.mainFrame));
    await call('pauseFolder', eventFrom(contents.mainFrame), { id: 3 });
    await call('pauseFolder', eventFrom(contents.mainFrame), { id: 'x' });
    expect(lines).toEqual([
      { message: 'ipc: changed by the window', fields: { method: 'pauseFolder' } },
    ]);
  });

  it('answers a trusted call with the service result and reports it to afterCall', async () => {
    const { call, contents, eventFrom, service, afterCall } = setup();
    const result = await call('listTasks', eventFrom(contents.mainFrame), {
      page: 1,
      pageSize: 20,
    });
    expect(result).toEqual({
      ok: true,
      value: { method: 'listTasks', arg: { page: 1, pageSize: 20 } },
    });
    expect(service.calls).toEqual([{ method: 'listTasks', arg: { page: 1, pageSize: 20 } }]);
    expect(afterCall).toHaveBeenCalledWith('listTasks', {
      method: 'listTasks',
      arg: { page: 1, pageSize: 20 },
    });
    expect((await call('getStatus', eventFrom(contents.mainFrame))).ok).toBe(true);
    expect((await call('getStatus', eventFrom(contents.mainFrame), undefined)).ok).toBe(true);
  });

  it('has no handler for channels outside the contract', async () => {
    const { ipcMain, contents, eventFrom } = setup();
    await expect(
      ipcMain.invoke(`${IPC_INVOKE_PREFIX}__proto__`, eventFrom(contents.mainFrame)),
    ).rejects.toThrow(/No handler/);
    await expect(
      ipcMain.invoke(`${IPC_INVOKE_PREFIX}close`, eventFrom(contents.mainFrame)),
    ).rejects.toThrow(/No handler/);
    await expect(ipcMain.invoke('cvat-sync:invoke', eventFrom(contents.mainFrame))).rejects.toThrow(
      /No handler/,
    );
  });

  it('an unknown method name reaching the parser is refused, not dispatched', async () => {
    const { ipcMain, contents, eventFrom, service } = setup({
      // A transport bug that routed a foreign name to a handler must still not reach the service.
      parseArg: (_method, arg) => parseMethodArg('subscribe', arg),
    });
    const result = (await ipcMain.invoke(
      IPC_INVOKE_PREFIX + 'getStatus',
      eventFrom(contents.mainFrame),
    )) as Result<unknown>;
    expectError(result, 'unknown-method');
    expect(service.calls).toEqual([]);
  });

  describe('refuses callers other than the main window top frame on app://', () => {
    const cases: Array<
      [string, (c: FakeWebContents) => { sender: { id: number }; senderFrame: FakeFrame | null }]
    > = [
      ['no sender frame (navigated away or destroyed)', (c) => ({ sender: c, senderFrame: null })],
      [
        'a sub-frame',
        (c) => ({ sender: c, senderFrame: { ...c.mainFrame, routingId: 9, parent: c.mainFrame } }),
      ],
      [
        'a frame with another routing id',
        (c) => ({ sender: c, senderFrame: { ...c.mainFrame, routingId: 2 } }),
      ],
      [
        'a frame in another process',
        (c) => ({ sender: c, senderFrame: { ...c.mainFrame, processId: 8 } }),
      ],
      [
        'the top frame showing a web page',
        (c) => ({ sender: c, senderFrame: { ...c.mainFrame, url: 'https://evil.example/' } }),
      ],
      [
        'the top frame showing a file',
        (c) => ({ sender: c, senderFrame: { ...c.mainFrame, url: 'file:///tmp/x.html' } }),
      ],
      [
        'a look-alike app host',
        (c) => ({ sender: c, senderFrame: { ...c.mainFrame, url: 'app://cvat-sync.evil/' } }),
      ],
      ['another web contents', (c) => ({ sender: { id: c.id + 100 }, senderFrame: c.mainFrame })],
    ];
    it.each(cases)('%s', async (_name, makeEvent) => {
      const { call, contents, service } = setup();
      expectError(await call('getStatus', makeEvent(contents)), 'forbidden-sender');
      expect(service.calls).toEqual([]);
    });

    it('any caller while there is no main window, or after it is destroyed', async () => {
      const { call, contents, eventFrom, target, service } = setup();
      target.current = null;
      expectError(await call('getStatus', eventFrom(contents.mainFrame)), 'forbidden-sender');
      target.current = { contents: contents as unknown as TrustedTarget['contents'] };
      contents.destroyed = true;
      expectError(await call('getStatus', eventFrom(contents.mainFrame)), 'forbidden-sender');
      expect(service.calls).toEqual([]);
    });
  });

  describe('refuses malformed payloads with the error shape', () => {
    it.each<[string, string, unknown[]]>([
      ['wrong type', 'listTasks', [{ page: 'one', pageSize: 20 }]],
      ['missing field', 'removeFolder', [{}]],
      ['extra field', 'pauseFolder', [{ id: 1, evil: true }]],
      ['a string instead of an object', 'signIn', ['https://cvat']],
      ['an argument where none is taken', 'getStatus', [{ anything: 1 }]],
      [
        'prototype pollution attempt',
        'setOrganization',
        [JSON.parse('{"org":"a","__proto__":{"polluted":true}}')],
      ],
    ])('%s', async (_name, method, args) => {
      const { call, contents, eventFrom, service } = setup();
      expectError(await call(method, eventFrom(contents.mainFrame), ...args), 'invalid-argument');
      expect(service.calls).toEqual([]);
    });

    it('more than one argument', async () => {
      const { call, contents, eventFrom, service } = setup();
      expectError(
        await call('removeFolder', eventFrom(contents.mainFrame), { id: 1 }, { id: 2 }),
        'bad-request',
      );
      expect(service.calls).toEqual([]);
    });

    it('values without a JSON form (cycles, BigInt)', async () => {
      const { call, contents, eventFrom, service } = setup();
      const cyclic: Record<string, unknown> = { id: 1 };
      cyclic.self = cyclic;
      expectError(await call('removeFolder', eventFrom(contents.mainFrame), cyclic), 'bad-request');
      expectError(
        await call('removeFolder', eventFrom(contents.mainFrame), { id: 1n }),
        'bad-request',
      );
      expect(service.calls).toEqual([]);
    });
  });

  it('refuses an oversized payload before parsing it', async () => {
    const parseArg = vi.fn(parseMethodArg);
    const { call, contents, eventFrom, service } = setup({ parseArg });
    const big = {
      server: 'https://cvat.example',
      method: 'token',
      token: 'x'.repeat(MAX_PAYLOAD_BYTES),
    };
    const error = expectError(
      await call('signIn', eventFrom(contents.mainFrame), big),
      'payload-too-large',
    );
    expect(error.message).toContain(String(MAX_PAYLOAD_BYTES));
    expect(parseArg).not.toHaveBeenCalled();
    expect(service.calls).toEqual([]);
    // Multi-byte text counts in bytes, not characters.
    expect(payloadSize({ s: 'é'.repeat(10) })).toBe(JSON.stringify({ s: '' }).length + 20);
  });

  it('turns a throwing service method into an error result', async () => {
    const { call, contents, eventFrom, service } = setup();
    service.runDoctor = async () => {
      throw new SyncError('journal is broken', { code: 'journal', kind: 'fatal' });
    };
    const error = expectError(
      { ...(await call('runDoctor', eventFrom(contents.mainFrame))) } as Result<unknown>,
      'journal',
    );
    expect(error.kind).toBe('fatal');
    expect(error.message).toBe('journal is broken');
  });

  it('passes a service error result through unchanged', async () => {
    const { call, contents, eventFrom, service, afterCall } = setup();
    const failure = {
      ok: false as const,
      error: { code: 'auth', kind: 'fatal' as const, message: 'bad token', retryable: false },
    };
    service.signOut = async () => failure;
    expect(await call('signOut', eventFrom(contents.mainFrame))).toEqual(failure);
    expect(afterCall).not.toHaveBeenCalled();
  });
});

describe('event forwarding', () => {
  it('sends events on the event channel to the main window only while it lives', () => {
    const contents = new FakeWebContents();
    let current: FakeWebContents | null = null;
    const forward = eventForwarder(() => current);
    forward('tasks-changed', { taskIds: [1] });
    current = contents;
    forward('tasks-changed', { taskIds: [2] });
    contents.destroyed = true;
    forward('tasks-changed', { taskIds: [3] });
    expect(contents.sent).toEqual([
      { channel: IPC_EVENT_CHANNEL, args: [{ event: 'tasks-changed', payload: { taskIds: [2] } }] },
    ]);
  });
});
