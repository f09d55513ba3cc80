// The main window. Its security-relevant preferences are written inline, literally, so that
// reviewers and scanners (electronegativity) read exactly what runs.
import { BrowserWindow } from 'electron';
import type { WebContents } from 'electron';
import type { WindowState } from './window-state.js';
import { MIN_WINDOW_SIZE } from './window-state.js';

export interface MainWindowOptions {
  /** Absolute path of the bundled preload (dist/preload/index.cjs). */
  preload: string;
  state: WindowState;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const { state } = options;
  const window = new BrowserWindow({
    x: state.x,
    y: state.y,
    width: state.width,
    height: state.height,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    show: false,
    title: 'CVAT Sync',
    autoHideMenuBar: true,
    webPreferences: {
      // The preload is our own bundle; it exposes only the contract's methods through contextBridge.
      preload: options.preload, // eng-disable PRELOAD_JS_CHECK
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // Middle-click would open links in new windows; the window-open handler denies them anyway.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  if (state.maximized) window.maximize();
  return window;
}

/**
 * Keeps any web contents on our pages: navigation and new windows are refused; a link to an
 * allowed external page (checked by `openExternal`) goes to the user's browser instead.
 */
export function lockDownContents(contents: WebContents, openExternal: (url: string) => void): void {
  contents.on('will-navigate', (event) => {
    event.preventDefault();
    openExternal(event.url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    openExternal(url);
    return { action: 'deny' };
  });
}
