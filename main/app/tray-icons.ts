// Tray icons drawn in code: a coloured disc per state with a white centre, at 1× and 2×.
import type { Rgb } from './png.js';
import { encodePng, rasterize } from './png.js';
import type { TrayState } from './tray-status.js';

export const TRAY_COLORS: Record<TrayState, Rgb> = {
  idle: [46, 157, 91],
  syncing: [47, 111, 222],
  paused: [138, 143, 152],
  error: [214, 69, 69],
};

const WHITE: Rgb = [255, 255, 255];

/** A PNG of `size` × `size` pixels for `state`. */
export function trayIconPng(state: TrayState, size: number): Buffer {
  const color = TRAY_COLORS[state];
  const pixels = rasterize(size, (x, y) => {
    const d = Math.hypot(x - 0.5, y - 0.5);
    if (d > 0.46) return { rgb: color, alpha: 0 };
    if (state === 'paused') {
      // Two vertical bars read as "paused" even without colour.
      const bar = y > 0.3 && y < 0.7 && ((x > 0.33 && x < 0.45) || (x > 0.55 && x < 0.67));
      return { rgb: bar ? WHITE : color, alpha: 1 };
    }
    if (state === 'error') {
      const mark =
        (x > 0.44 && x < 0.56 && y > 0.24 && y < 0.6) || Math.hypot(x - 0.5, y - 0.72) < 0.065;
      return { rgb: mark ? WHITE : color, alpha: 1 };
    }
    return { rgb: d < (state === 'syncing' ? 0.2 : 0.14) ? WHITE : color, alpha: 1 };
  });
  return encodePng(size, size, pixels);
}
