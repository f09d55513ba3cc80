import { inflateSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import type { StatusSnapshot } from '../../../preload/contract.js';
import { encodePng } from '../../../main/app/png.js';
import { TRAY_COLORS, trayIconPng } from '../../../main/app/tray-icons.js';
import { trayStatusOf } from '../../../main/app/tray-status.js';

vi.mock('electron', () => import('./fake-electron.js'));
const { Tray, Menu } = await import('./fake-electron.js');
const { createTray } = await import('../../../main/app/tray.js');

function snapshot(
  over: Omit<Partial<StatusSnapshot>, 'totals'> & {
    totals?: Partial<StatusSnapshot['totals']>;
  } = {},
): StatusSnapshot {
  const { totals, ...rest } = over;
  return {
    host: 'desktop',
    connection: {
      state: 'connected',
      server: 'https://cvat.example.com',
      username: 'alice',
      org: null,
      serverVersion: '2.40.0',
      authMethod: 'token',
      credentialStore: 'keychain',
      error: null,
    },
    paused: false,
    totals: {
      active: 0,
      queued: 0,
      failed: 0,
      bytesDone: 0,
      bytesTotal: 0,
      speedBps: 0,
      ...totals,
    },
    folders: [],
    recentErrors: [],
    ...rest,
  };
}

/** Decodes our own PNGs far enough to check them: signature, chunk CRCs, size, pixels. */
function decodePng(png: Buffer): { width: number; height: number; rgba: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const crcOf = (b: Buffer): number => {
    let c = 0xffffffff;
    for (const x of b) {
      c ^= x;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return (c ^ 0xffffffff) >>> 0;
  };
  while (offset < png.length) {
    const len = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + len);
    expect(png.readUInt32BE(offset + 8 + len)).toBe(
      crcOf(png.subarray(offset + 4, offset + 8 + len)),
    );
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9]]).toEqual([8, 6]);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 4 + 1)]).toBe(0);
    raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, rgba };
}

describe('tray status', () => {
  it('idle when connected with nothing to do', () => {
    expect(trayStatusOf(snapshot())).toEqual({
      state: 'idle',
      percent: null,
      tooltip: 'CVAT Sync — up to date',
    });
    expect(
      trayStatusOf(snapshot({ connection: { ...snapshot().connection, state: 'signed-out' } }))
        .tooltip,
    ).toMatch(/not signed in/);
  });

  it('syncing n % while transfers run', () => {
    const s = trayStatusOf(
      snapshot({ totals: { active: 2, queued: 3, bytesDone: 250, bytesTotal: 1000 } }),
    );
    expect(s).toEqual({
      state: 'syncing',
      percent: 25,
      tooltip: 'CVAT Sync — syncing 5 transfers, 25 %',
    });
    expect(trayStatusOf(snapshot({ totals: { active: 1 } }))).toMatchObject({
      state: 'syncing',
      percent: null,
    });
  });

  it('paused over syncing; errors over paused', () => {
    expect(
      trayStatusOf(snapshot({ paused: true, totals: { active: 1, bytesTotal: 10 } })).state,
    ).toBe('paused');
    const authFailed = { ...snapshot().connection, state: 'auth-failed' as const };
    expect(trayStatusOf(snapshot({ paused: true, connection: authFailed })).state).toBe('error');
    const missing = [
      {
        id: 1,
        path: '/mnt/share',
        health: { state: 'missing' as const, message: null, fix: null },
        paused: false,
      },
    ];
    expect(trayStatusOf(snapshot({ folders: missing }))).toMatchObject({
      state: 'error',
      tooltip: 'CVAT Sync — folder problem: /mnt/share',
    });
    expect(trayStatusOf(snapshot({ totals: { failed: 1 } })).tooltip).toBe(
      'CVAT Sync — 1 failed transfer',
    );
    expect(
      trayStatusOf(snapshot({ connection: { ...snapshot().connection, state: 'offline' } })).state,
    ).toBe('error');
  });
});

describe('tray icons', () => {
  it('encodePng writes a valid PNG of the given pixels', () => {
    const pixels = new Uint8Array([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 1, 2, 3, 4]);
    const { width, height, rgba } = decodePng(encodePng(2, 2, pixels));
    expect([width, height]).toEqual([2, 2]);
    expect([...rgba]).toEqual([...pixels]);
    expect(() => encodePng(2, 2, new Uint8Array(3))).toThrow(RangeError);
  });

  it('draws one disc per state in its colour, transparent in the corners', () => {
    for (const state of ['idle', 'syncing', 'paused', 'error'] as const) {
      for (const size of [16, 32]) {
        const { width, rgba } = decodePng(trayIconPng(state, size));
        expect(width).toBe(size);
        expect(rgba[3]).toBe(0);
        const edge = ((size >> 1) * size + 2) * 4; // left of centre, inside the disc
        expect([rgba[edge], rgba[edge + 1], rgba[edge + 2]]).toEqual([...TRAY_COLORS[state]]);
      }
    }
  });
});

describe('tray', () => {
  it('shows the status and a menu of open, pause all, resume all, quit', () => {
    const actions = { open: vi.fn(), pauseAll: vi.fn(), resumeAll: vi.fn(), quit: vi.fn() };
    const tray = createTray(actions, trayStatusOf(snapshot()));
    const fake = Tray.created.at(-1);
    expect(fake?.tooltip).toBe('CVAT Sync — up to date');
    const labels = () =>
      (fake?.menu?.template ?? []).map((i) => [i.label ?? i.type, i.enabled ?? true]);
    expect(labels()).toEqual([
      ['up to date', false],
      ['separator', true],
      ['Open CVAT Sync', true],
      ['Pause all', true],
      ['Resume all', false],
      ['separator', true],
      ['Quit', true],
    ]);
    const click = (label: string) =>
      (fake?.menu?.template.find((i) => i.label === label)?.click as () => void)();
    click('Open CVAT Sync');
    click('Pause all');
    click('Quit');
    expect([actions.open, actions.pauseAll, actions.quit].map((f) => f.mock.calls.length)).toEqual([
      1, 1, 1,
    ]);

    tray.update(trayStatusOf(snapshot({ paused: true })));
    expect(labels()[3]).toEqual(['Pause all', false]);
    expect(labels()[4]).toEqual(['Resume all', true]);
    tray.showMessage('finishing…');
    expect(fake?.tooltip).toBe('CVAT Sync — finishing…');
    fake?.emit('click');
    expect(actions.open).toHaveBeenCalledTimes(2);
    tray.destroy();
    expect(fake?.destroyed).toBe(true);
    expect(Menu.built.length).toBeGreaterThan(0);
  });
});
