import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOW_STATE,
  MIN_WINDOW_SIZE,
  fitWindowState,
  loadWindowState,
  parseWindowState,
  saveWindowState,
} from '../../../main/app/window-state.js';

const laptop = { x: 0, y: 0, width: 1440, height: 875 };
const rightMonitor = { x: 1440, y: 0, width: 2560, height: 1415 };

describe('window state', () => {
  it('parses only well-formed states', () => {
    expect(parseWindowState({ x: 10, y: 20, width: 1000, height: 700, maximized: true })).toEqual({
      x: 10,
      y: 20,
      width: 1000,
      height: 700,
      maximized: true,
    });
    expect(parseWindowState({ width: 1000, height: 700 })).toEqual({
      width: 1000,
      height: 700,
      maximized: false,
    });
    expect(parseWindowState({ x: 'a', y: 1, width: 1000, height: 700 })).toEqual({
      width: 1000,
      height: 700,
      maximized: false,
    });
    for (const bad of [
      null,
      3,
      'x',
      [],
      { width: -1, height: 700 },
      { width: 1e9, height: 700 },
      { width: 10.5, height: 700 },
      { width: NaN, height: 1 },
    ]) {
      expect(parseWindowState(bad)).toBeNull();
    }
  });

  it('keeps a position that is on a current display', () => {
    const s = { x: 1600, y: 100, width: 1200, height: 800, maximized: false };
    expect(fitWindowState(s, [laptop, rightMonitor])).toEqual(s);
  });

  it('drops a position on a display that is gone (the window is centred)', () => {
    const s = { x: 1600, y: 100, width: 1200, height: 800, maximized: true };
    expect(fitWindowState(s, [laptop])).toEqual({ width: 1200, height: 800, maximized: true });
  });

  it('drops a position whose title bar is off screen, even if the rest shows', () => {
    expect(
      fitWindowState({ x: 100, y: -500, width: 1000, height: 800, maximized: false }, [laptop]).x,
    ).toBeUndefined();
    expect(
      fitWindowState({ x: 1400, y: 100, width: 1000, height: 800, maximized: false }, [laptop]).x,
    ).toBeUndefined();
    expect(
      fitWindowState({ x: 1300, y: 100, width: 1000, height: 800, maximized: false }, [laptop]).x,
    ).toBe(1300);
  });

  it('clamps the size between the minimum and the largest display', () => {
    expect(fitWindowState({ width: 5000, height: 4000, maximized: false }, [laptop])).toEqual({
      width: 1440,
      height: 875,
      maximized: false,
    });
    expect(fitWindowState({ width: 100, height: 100, maximized: false }, [laptop])).toEqual({
      ...MIN_WINDOW_SIZE,
      maximized: false,
    });
    expect(fitWindowState(null, [laptop])).toEqual(DEFAULT_WINDOW_STATE);
    expect(fitWindowState(null, [])).toEqual(DEFAULT_WINDOW_STATE);
  });

  const dir = mkdtempSync(join(tmpdir(), 'cvat-sync-winstate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('saves and loads a JSON file; a broken or missing file reads as none', async () => {
    const file = join(dir, 'nested', 'window-state.json');
    expect(await loadWindowState(file)).toBeNull();
    await saveWindowState(file, { x: 5, y: 6, width: 900, height: 600, maximized: false });
    expect(await loadWindowState(file)).toEqual({
      x: 5,
      y: 6,
      width: 900,
      height: 600,
      maximized: false,
    });
    writeFileSync(file, '{"width": 900,');
    expect(await loadWindowState(file)).toBeNull();
  });
});
