// The main window's size and position, remembered in a small JSON file in userData and checked
// against the displays present now: a window saved on a monitor that is gone comes back centred.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  /** Absent: let the OS centre the window. */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1200, height: 800, maximized: false };
export const MIN_WINDOW_SIZE = { width: 800, height: 560 };
/** How much of the title bar must lie on a display for a saved position to count. */
const VISIBLE_TITLE = { width: 120, height: 32 };

const isInt = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 100_000;

/** The saved JSON, or null when it is not a window state. */
export function parseWindowState(raw: unknown): WindowState | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (!isInt(r.width) || !isInt(r.height) || r.width <= 0 || r.height <= 0) return null;
  const state: WindowState = { width: r.width, height: r.height, maximized: r.maximized === true };
  if (isInt(r.x) && isInt(r.y)) {
    state.x = r.x;
    state.y = r.y;
  }
  return state;
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    height: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  };
}

/**
 * Fits a saved state to the work areas of the current displays: the size is clamped to the
 * largest display, and the position is kept only when enough of the title bar is on a display.
 */
export function fitWindowState(saved: WindowState | null, workAreas: readonly Rect[]): WindowState {
  const state = saved ?? DEFAULT_WINDOW_STATE;
  // No display information (never expected) means nothing to clamp against.
  const maxWidth =
    workAreas.length === 0
      ? Infinity
      : Math.max(MIN_WINDOW_SIZE.width, ...workAreas.map((a) => a.width));
  const maxHeight =
    workAreas.length === 0
      ? Infinity
      : Math.max(MIN_WINDOW_SIZE.height, ...workAreas.map((a) => a.height));
  const width = Math.min(Math.max(state.width, MIN_WINDOW_SIZE.width), maxWidth);
  const height = Math.min(Math.max(state.height, MIN_WINDOW_SIZE.height), maxHeight);
  const fitted: WindowState = { width, height, maximized: state.maximized };
  if (state.x !== undefined && state.y !== undefined) {
    const title: Rect = { x: state.x, y: state.y, width, height: VISIBLE_TITLE.height };
    const onScreen = workAreas.some((area) => {
      const o = overlap(title, area);
      return o.width >= VISIBLE_TITLE.width && o.height >= VISIBLE_TITLE.height;
    });
    if (onScreen) {
      fitted.x = state.x;
      fitted.y = state.y;
    }
  }
  return fitted;
}

export async function loadWindowState(file: string): Promise<WindowState | null> {
  try {
    return parseWindowState(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return null;
  }
}

export async function saveWindowState(file: string, state: WindowState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(state));
  await rename(tmp, file);
}
