// A second launch: the lock is taken, so this process quits without touching anything.
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fake-electron.js'));
vi.mock('../../../main/service/index.js', () => ({
  createSyncService: vi.fn(),
}));

const { app, BrowserWindow, protocol } = await import('./fake-electron.js');
const service = await import('../../../main/service/index.js');
app.gotLock = false;
const whenReady = vi.spyOn(app, 'whenReady');
await import('../../../main/app/main.js');

describe('desktop main, second instance', () => {
  it('quits at once: no ready handler, no service, no window', async () => {
    expect(app.quits).toBe(1);
    expect(whenReady).not.toHaveBeenCalled();
    app.fireReady();
    await new Promise((r) => setImmediate(r));
    expect(service.createSyncService).not.toHaveBeenCalled();
    expect(BrowserWindow.created).toHaveLength(0);
    expect(protocol.handlers.size).toBe(0);
  });
});
