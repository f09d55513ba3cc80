import { describe, expect, it, vi } from 'vitest';
import type { SyncBridge } from '../../../preload/contract.js';
import {
  EVENT_NAMES,
  IPC_EVENT_CHANNEL,
  IPC_INVOKE_PREFIX,
  METHOD_NAMES,
} from '../../../preload/contract.js';

vi.mock('electron', () => import('./fake-electron.js'));

const { contextBridge, ipcRenderer } = await import('./fake-electron.js');
await import('../../../preload/index.js');
const bridge = contextBridge.exposed.get('cvatSync') as SyncBridge;

describe('preload bridge', () => {
  it('exposes window.cvatSync and nothing else', () => {
    expect([...contextBridge.exposed.keys()]).toEqual(['cvatSync']);
  });

  it('has exactly the contract methods plus on()', () => {
    expect(Object.keys(bridge).sort()).toEqual([...METHOD_NAMES, 'on'].sort());
    for (const key of Object.keys(bridge))
      expect(typeof (bridge as unknown as Record<string, unknown>)[key]).toBe('function');
    expect(bridge).not.toHaveProperty('invoke');
    expect(bridge).not.toHaveProperty('send');
    expect(bridge).not.toHaveProperty('ipcRenderer');
  });

  it('each method invokes its own channel with its one argument', async () => {
    ipcRenderer.invocations.length = 0;
    await bridge.listTasks({ page: 1, pageSize: 10 });
    await bridge.getStatus();
    const raw = bridge as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    await raw.removeFolder?.({ id: 1 }, 'extra', 'args');
    expect(ipcRenderer.invocations).toEqual([
      { channel: `${IPC_INVOKE_PREFIX}listTasks`, args: [{ page: 1, pageSize: 10 }] },
      { channel: `${IPC_INVOKE_PREFIX}getStatus`, args: [undefined] },
      { channel: `${IPC_INVOKE_PREFIX}removeFolder`, args: [{ id: 1 }] },
    ]);
  });

  it('on() delivers only the chosen contract event, payload only, until unsubscribed', () => {
    const got: unknown[] = [];
    const off = bridge.on('transfer-removed', (p) => got.push(p));
    const fakeIpcEvent = { sender: ipcRenderer, senderId: 0 };
    ipcRenderer.emit(IPC_EVENT_CHANNEL, fakeIpcEvent, {
      event: 'transfer-removed',
      payload: { id: 'a' },
    });
    ipcRenderer.emit(IPC_EVENT_CHANNEL, fakeIpcEvent, {
      event: 'folder-removed',
      payload: { id: 1 },
    });
    ipcRenderer.emit(IPC_EVENT_CHANNEL, fakeIpcEvent, { event: 'not-an-event', payload: 1 });
    ipcRenderer.emit(IPC_EVENT_CHANNEL, fakeIpcEvent, 'garbage');
    ipcRenderer.emit(IPC_EVENT_CHANNEL, fakeIpcEvent, null);
    ipcRenderer.emit('some-other-channel', fakeIpcEvent, {
      event: 'transfer-removed',
      payload: { id: 'b' },
    });
    off();
    ipcRenderer.emit(IPC_EVENT_CHANNEL, fakeIpcEvent, {
      event: 'transfer-removed',
      payload: { id: 'c' },
    });
    expect(got).toEqual([{ id: 'a' }]);
    expect(ipcRenderer.listenerCount(IPC_EVENT_CHANNEL)).toBe(0);
  });

  it('on() refuses names outside the contract and non-function listeners', () => {
    const raw = bridge.on as unknown as (e: string, l: unknown) => () => void;
    expect(() => raw('ipc-message', () => {})).toThrow(/Unknown event/);
    expect(() => raw('__proto__', () => {})).toThrow(/Unknown event/);
    expect(() => raw('status', 'nope')).toThrow(/function/);
    for (const e of EVENT_NAMES) bridge.on(e, () => {})();
    expect(ipcRenderer.listenerCount(IPC_EVENT_CHANNEL)).toBe(0);
  });
});
