// The tray icon: status at a glance and the few actions that make sense without the window.
import { Menu, Tray, nativeImage } from 'electron';
import type { NativeImage } from 'electron';
import { trayIconPng } from './tray-icons.js';
import type { TrayState, TrayStatus } from './tray-status.js';

export interface TrayActions {
  open: () => void;
  pauseAll: () => void;
  resumeAll: () => void;
  quit: () => void;
}

export interface TrayController {
  update(status: TrayStatus): void;
  /** A one-off line, e.g. while quitting. */
  showMessage(text: string): void;
  destroy(): void;
}

function trayImage(state: TrayState): NativeImage {
  const image = nativeImage.createFromBuffer(trayIconPng(state, 16), { scaleFactor: 1 });
  image.addRepresentation({ scaleFactor: 2, buffer: trayIconPng(state, 32) });
  return image;
}

export function createTray(actions: TrayActions, initial: TrayStatus): TrayController {
  const images = new Map<TrayState, NativeImage>();
  const imageFor = (state: TrayState): NativeImage => {
    let image = images.get(state);
    if (!image) {
      image = trayImage(state);
      images.set(state, image);
    }
    return image;
  };
  const tray = new Tray(imageFor(initial.state));
  tray.on('click', actions.open);

  const render = (status: TrayStatus, line: string): void => {
    tray.setImage(imageFor(status.state));
    tray.setToolTip(line);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: line.replace(/^CVAT Sync — /, ''), enabled: false },
        { type: 'separator' },
        { label: 'Open CVAT Sync', click: actions.open },
        { label: 'Pause all', enabled: status.state !== 'paused', click: actions.pauseAll },
        { label: 'Resume all', enabled: status.state === 'paused', click: actions.resumeAll },
        { type: 'separator' },
        { label: 'Quit', click: actions.quit },
      ]),
    );
  };

  let current = initial;
  render(current, current.tooltip);
  return {
    update(status) {
      current = status;
      render(status, status.tooltip);
    },
    showMessage(text) {
      render(current, `CVAT Sync — ${text}`);
    },
    destroy() {
      tray.destroy();
    },
  };
}
