import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../main/core/clock.js';
import {
  applyStartAtLogin,
  autostartEntry,
  desktopExecQuote,
} from '../../../main/app/login-item.js';
import { closeWithNotice } from '../../../main/app/quit.js';
import { claimSingleInstance } from '../../../main/app/single-instance.js';

class FakeApp extends EventEmitter {
  quits = 0;
  constructor(private readonly gotLock: boolean) {
    super();
  }
  requestSingleInstanceLock(): boolean {
    return this.gotLock;
  }
  quit(): void {
    this.quits += 1;
  }
}

describe('single instance', () => {
  it('the first instance keeps running and shows its window when another starts', () => {
    const app = new FakeApp(true);
    const show = vi.fn();
    expect(claimSingleInstance(app as never, show)).toBe(true);
    expect(app.quits).toBe(0);
    app.emit('second-instance', {}, ['cvat-sync'], '/');
    expect(show).toHaveBeenCalledTimes(1);
  });

  it('a second instance quits at once and sets nothing up', () => {
    const app = new FakeApp(false);
    const show = vi.fn();
    expect(claimSingleInstance(app as never, show)).toBe(false);
    expect(app.quits).toBe(1);
    expect(app.listenerCount('second-instance')).toBe(0);
  });
});

describe('quitting', () => {
  it('waits for close and says nothing when it is quick', async () => {
    const clock = new FakeClock();
    const onSlow = vi.fn();
    await closeWithNotice(async () => {}, { clock, noticeAfterMs: 1_000, onSlow });
    await clock.advance(5_000);
    expect(onSlow).not.toHaveBeenCalled();
    expect(clock.pendingSleeps()).toBe(0);
  });

  it('shows the finishing notice once closing takes longer than the threshold, and still waits', async () => {
    const clock = new FakeClock();
    const onSlow = vi.fn();
    let finish: () => void = () => {};
    let done = false;
    const closing = closeWithNotice(() => new Promise<void>((r) => (finish = r)), {
      clock,
      noticeAfterMs: 1_000,
      onSlow,
    }).then(() => (done = true));
    await clock.advance(999);
    expect(onSlow).not.toHaveBeenCalled();
    await clock.advance(1);
    expect(onSlow).toHaveBeenCalledTimes(1);
    expect(done).toBe(false);
    finish();
    await closing;
    expect(done).toBe(true);
  });

  it('propagates a failing close after cancelling the notice', async () => {
    const clock = new FakeClock();
    const onSlow = vi.fn();
    await expect(
      closeWithNotice(async () => Promise.reject(new Error('disk full')), {
        clock,
        noticeAfterMs: 1_000,
        onSlow,
      }),
    ).rejects.toThrow('disk full');
    await clock.advance(2_000);
    expect(onSlow).not.toHaveBeenCalled();
  });
});

describe('start at login', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cvat-sync-login-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('quotes the Exec path as the desktop entry spec asks', () => {
    expect(desktopExecQuote('/opt/CVAT Sync/cvat-sync')).toBe('"/opt/CVAT Sync/cvat-sync"');
    expect(desktopExecQuote('/a/$b`c"d\\e')).toBe('"/a/\\$b\\`c\\"d\\\\e"');
    expect(autostartEntry('/x/CVAT.AppImage')).toContain('Exec="/x/CVAT.AppImage" --hidden\n');
  });

  it('on Linux writes and removes an XDG autostart entry', async () => {
    const file = join(dir, 'autostart', 'cvat-sync.desktop');
    const app = { setLoginItemSettings: vi.fn() };
    await applyStartAtLogin(true, {
      platform: 'linux',
      app,
      autostartFile: file,
      execPath: '/x/app',
    });
    expect(readFileSync(file, 'utf8')).toMatch(
      /^\[Desktop Entry\]\nType=Application\nName=CVAT Sync\n/,
    );
    await applyStartAtLogin(false, {
      platform: 'linux',
      app,
      autostartFile: file,
      execPath: '/x/app',
    });
    expect(existsSync(file)).toBe(false);
    expect(app.setLoginItemSettings).not.toHaveBeenCalled();
  });

  it('on macOS and Windows uses the login item API, started hidden', async () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const app = { setLoginItemSettings: vi.fn() };
      await applyStartAtLogin(true, {
        platform,
        app,
        autostartFile: join(dir, 'unused'),
        execPath: '/x',
      });
      expect(app.setLoginItemSettings).toHaveBeenCalledWith({
        openAtLogin: true,
        args: ['--hidden'],
      });
      expect(existsSync(join(dir, 'unused'))).toBe(false);
    }
  });
});
