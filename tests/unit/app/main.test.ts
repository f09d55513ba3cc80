// The composition root, with Electron and the service faked at their boundaries.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { IPC_INVOKE_PREFIX, METHOD_NAMES } from '../../../preload/contract.js';
import type { ServiceOptions } from '../../../main/service/host.js';

const shared = vi.hoisted(() => ({
  options: null as unknown,
  closeCalls: 0,
  finishClose: (): void => {},
}));

vi.mock('electron', () => import('./fake-electron.js'));
vi.mock('../../../main/service/index.js', () => ({
  createSyncService: async (options: unknown) => {
    shared.options = options;
    const service: Record<string, unknown> = {
      subscribe: () => () => {},
      close: () =>
        new Promise<void>((resolve) => {
          shared.closeCalls += 1;
          shared.finishClose = resolve;
        }),
    };
    const { METHOD_NAMES: names } = await import('../../../preload/contract.js');
    for (const name of names) {
      service[name] = async () => ({
        ok: false,
        error: { code: 'x', kind: 'item', message: name, retryable: false },
      });
    }
    service.getSettings = async () => ({
      ok: true,
      value: {
        notifications: true,
        startAtLogin: false,
        concurrency: 2,
        bandwidthLimitBps: null,
        chunkSizeMiB: 8,
        downloadsDir: '/d',
        theme: 'system',
        dataDir: '/x',
        logsDir: '/x/logs',
      },
    });
    return service;
  },
}));

const electron = await import('./fake-electron.js');
const { app, protocol, ipcMain, BrowserWindow, Tray, Menu, FakeEvent, session } = electron;
const userData = mkdtempSync(join(tmpdir(), 'cvat-sync-main-'));
afterAll(() => rmSync(userData, { recursive: true, force: true }));
app.userData = userData;
delete process.env.CVAT_SYNC_HOME;

await import('../../../main/app/main.js');

describe('desktop main', () => {
  it('registers the app:// scheme as privileged before the app is ready', () => {
    expect(protocol.privileged).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(BrowserWindow.created).toHaveLength(0);
  });

  it('on ready: serves the renderer, starts the service, wires IPC, opens the window on app://', async () => {
    app.fireReady();
    await vi.waitFor(
      () => expect(BrowserWindow.created[0]?.loadedUrl).toBe('app://cvat-sync/index.html'),
      { timeout: 5_000 },
    );
    const window = BrowserWindow.created[0];
    expect(window?.visible).toBe(true);
    expect(protocol.handlers.has('app')).toBe(true);
    const options = shared.options as ServiceOptions;
    expect(options.host).toBe('desktop');
    expect(options.dataDir).toBe(userData);
    expect(options.credentials.kind).toBe('keychain');
    // The system proxy of the desktop app is the OS's, asked through the session.
    session.defaultSession.proxyAnswer = 'PROXY proxy.lan:3128; DIRECT';
    expect(await options.resolveProxy?.('https://cvat.lan/')).toEqual({
      host: 'proxy.lan',
      port: 3128,
    });
    expect(session.defaultSession.resolvedUrls).toEqual(['https://cvat.lan/']);
    expect([...ipcMain.handlers.keys()].sort()).toEqual(
      METHOD_NAMES.map((m) => IPC_INVOKE_PREFIX + m).sort(),
    );
    expect(Tray.created).toHaveLength(1);
    // No menu bar on Linux and Windows (shortcuts still work); macOS keeps its app/edit/window menus.
    if (process.platform !== 'darwin') expect(Menu.application).toBeNull();
  });

  it('answers a call from the window and refuses one from elsewhere', async () => {
    const contents = BrowserWindow.created[0]!.webContents;
    const handler = ipcMain.handlers.get(`${IPC_INVOKE_PREFIX}getSettings`)!;
    const ok = (await handler({ sender: contents, senderFrame: contents.mainFrame })) as {
      ok: boolean;
    };
    expect(ok.ok).toBe(true);
    const refused = (await handler({
      sender: contents,
      senderFrame: { ...contents.mainFrame, url: 'https://evil/' },
    })) as {
      ok: boolean;
      error: { code: string };
    };
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
  });

  it('closing the window hides it to the tray and remembers its bounds; a second launch shows it', async () => {
    const window = BrowserWindow.created[0]!;
    expect(window.close()).toBe(false);
    expect(window.visible).toBe(false);
    await vi.waitFor(() => expect(existsSync(join(userData, 'window-state.json'))).toBe(true));
    app.emit('second-instance', new FakeEvent(), [], '/');
    expect(window.visible).toBe(true);
  });

  it('quitting waits for the service to close the journal', async () => {
    app.quit();
    expect(shared.closeCalls).toBe(1);
    expect(app.quits).toBe(0);
    app.quit(); // a second Quit while closing does not close twice
    expect(shared.closeCalls).toBe(1);
    shared.finishClose();
    await vi.waitFor(() => expect(app.quits).toBe(1));
    expect(ipcMain.handlers.size).toBe(0);
    expect(Tray.created[0]?.destroyed).toBe(true);
    // Now the window may really close.
    expect(BrowserWindow.created[0]!.close()).toBe(true);
  });
});
