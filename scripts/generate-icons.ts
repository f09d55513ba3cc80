// Draws the app icon in code (no downloaded assets): a blue rounded square holding a white
// annotation box with corner handles. Writes build/icon.png (512 px, used by electron-builder
// for every platform) and build/icons/<n>x<n>.png for Linux desktops.
// Run: npx tsx scripts/generate-icons.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rgb } from '../main/app/png.js';
import { encodePng, rasterize } from '../main/app/png.js';

const TOP: Rgb = [64, 132, 246];
const BOTTOM: Rgb = [28, 78, 190];
const WHITE: Rgb = [255, 255, 255];

function roundedSquare(x: number, y: number, inset: number, radius: number): boolean {
  const dx = Math.max(Math.abs(x - 0.5) - (0.5 - inset - radius), 0);
  const dy = Math.max(Math.abs(y - 0.5) - (0.5 - inset - radius), 0);
  return Math.hypot(dx, dy) <= radius;
}

function inRect(x: number, y: number, x0: number, y0: number, x1: number, y1: number): boolean {
  return x >= x0 && x <= x1 && y >= y0 && y <= y1;
}

function iconPixel(x: number, y: number): { rgb: Rgb; alpha: number } {
  if (!roundedSquare(x, y, 0.04, 0.2)) return { rgb: WHITE, alpha: 0 };
  const t = y;
  const bg: Rgb = [0, 1, 2].map((i) =>
    Math.round((TOP[i] ?? 0) * (1 - t) + (BOTTOM[i] ?? 0) * t),
  ) as unknown as Rgb;
  const [a, b, stroke, handle] = [0.27, 0.73, 0.035, 0.06];
  const outer = inRect(x, y, a - stroke, a - stroke, b + stroke, b + stroke);
  const inner = inRect(x, y, a + stroke, a + stroke, b - stroke, b - stroke);
  const corners = [
    [a, a],
    [b, a],
    [a, b],
    [b, b],
  ].some(([cx, cy]) =>
    inRect(x, y, (cx ?? 0) - handle, (cy ?? 0) - handle, (cx ?? 0) + handle, (cy ?? 0) + handle),
  );
  return { rgb: (outer && !inner) || corners ? WHITE : bg, alpha: 1 };
}

function write(path: string, size: number): void {
  writeFileSync(path, encodePng(size, size, rasterize(size, iconPixel)));
}

mkdirSync(join('build', 'icons'), { recursive: true });
write(join('build', 'icon.png'), 512);
for (const size of [16, 32, 48, 64, 128, 256, 512])
  write(join('build', 'icons', `${size}x${size}.png`), size);
