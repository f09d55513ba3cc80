// "Start at login": the OS login items on macOS and Windows; on Linux, where Electron has no
// such API, an XDG autostart entry (~/.config/autostart). The app starts hidden in the tray.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { App } from 'electron';

export const HIDDEN_ARG = '--hidden';

/** Quotes a path for a desktop entry's Exec key (XDG Desktop Entry spec, "Exec" quoting). */
export function desktopExecQuote(path: string): string {
  return `"${path.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function autostartEntry(execPath: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=CVAT Sync',
    'Comment=Turns local folders into CVAT tasks',
    `Exec=${desktopExecQuote(execPath)} ${HIDDEN_ARG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export interface LoginItemTarget {
  platform: NodeJS.Platform;
  app: Pick<App, 'setLoginItemSettings'>;
  /** Linux: the autostart file, e.g. ~/.config/autostart/cvat-sync.desktop. */
  autostartFile: string;
  /** What to start: the AppImage when run from one, else the executable. */
  execPath: string;
}

export async function applyStartAtLogin(enabled: boolean, target: LoginItemTarget): Promise<void> {
  if (target.platform === 'linux') {
    if (enabled) {
      await mkdir(dirname(target.autostartFile), { recursive: true });
      await writeFile(target.autostartFile, autostartEntry(target.execPath));
    } else {
      await rm(target.autostartFile, { force: true });
    }
    return;
  }
  target.app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_ARG] });
}
