// Electron entry and composition root of the desktop app: one instance, a locked-down window on
// our app:// origin, the service behind a checked IPC transport, the tray, notifications, and a
// quit that waits for the journal.
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Menu,
  Notification,
  app,
  dialog,
  ipcMain,
  protocol,
  safeStorage,
  screen,
  session,
  shell,
} from 'electron';
import type { BrowserWindow } from 'electron';
import type {
  EventName,
  Settings,
  StatusSnapshot,
  SyncEvents,
  Transfer,
} from '../../preload/contract.js';
import type { Logger } from '../core/logger.js';
import { parseMethodArg } from '../service/contract-schemas.js';
import { createFileLogger } from '../service/file-logger.js';
import type { StartupNotice, SyncService } from '../service/host.js';
import { createSyncService } from '../service/index.js';
import { logsDirOf } from '../service/settings.js';
import { systemClock } from '../service/system-clock.js';
import { APP_ENTRY_URL, APP_SCHEME, createAppProtocolHandler } from './app-protocol.js';
import { APP_ID, PRODUCT_NAME } from './app-identity.js';
import {
  KEYCHAIN_CREDENTIALS_FILE,
  NO_KEYRING_NOTICE,
  chooseCredentialStore,
} from './credentials.js';
import { allowedExternalOrigins, isAllowedExternalUrl } from './external-links.js';
import { eventForwarder, registerIpcHandlers } from './ipc.js';
import { HIDDEN_ARG, applyStartAtLogin } from './login-item.js';
import type { DesktopNotice } from './notifications.js';
import { Notifier } from './notifications.js';
import { closeWithNotice } from './quit.js';
import { osProxyResolver } from './os-proxy.js';
import { secureSession } from './session-security.js';
import { claimSingleInstance } from './single-instance.js';
import type { TrayController } from './tray.js';
import { createTray } from './tray.js';
import type { TrayStatus } from './tray-status.js';
import { trayStatusOf } from './tray-status.js';
import { createMainWindow, lockDownContents } from './window.js';
import { fitWindowState, loadWindowState, saveWindowState } from './window-state.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/main/app/main.js -> dist/renderer and dist/preload/index.cjs */
const RENDERER_ROOT = join(here, '..', '..', 'renderer');
const PRELOAD = join(here, '..', '..', 'preload', 'index.cjs');
/** Closing longer than this shows a "finishing…" notice. */
const QUIT_NOTICE_AFTER_MS = 1_000;

// Both must happen before 'ready'.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
app.enableSandbox();
app.setName(PRODUCT_NAME);
if (process.platform === 'win32') app.setAppUserModelId(APP_ID);

let mainWindow: BrowserWindow | null = null;
let currentServer: string | null = null;
let logger: Logger = {
  debug() {},
  info() {},
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
};

function showWindow(): void {
  if (mainWindow === null || mainWindow.isDestroyed()) return;
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

/** The only way out to the browser: http(s) pages of the signed-in CVAT server or the docs. */
function openLink(url: string): boolean {
  if (!isAllowedExternalUrl(url, allowedExternalOrigins(currentServer))) {
    logger.warn('refused to open a link outside the allowlist', { url: url.slice(0, 200) });
    return false;
  }
  // The URL has passed the allowlist above.
  void shell.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK
  return true;
}

/** The keyring fallback as an activity entry, with what makes the token stick. */
function credentialStartupNotice(message: string): StartupNotice {
  return {
    level: 'warn',
    kind: 'credentials',
    message,
    hint:
      message === NO_KEYRING_NOTICE
        ? 'Install and unlock gnome-keyring or KWallet (e.g. apt install gnome-keyring), then restart CVAT Sync.'
        : 'Unlock the system keychain, then restart CVAT Sync.',
  };
}

function showNotice(notice: DesktopNotice): void {
  if (!Notification.isSupported()) return;
  const n = new Notification({ title: notice.title, body: notice.body });
  n.on('click', showWindow);
  n.show();
}

async function chooseFolder(): Promise<string | null> {
  const options = {
    properties: ['openDirectory', 'createDirectory'] as Array<'openDirectory' | 'createDirectory'>,
  };
  const result = mainWindow
    ? await dialog.showOpenDialog(mainWindow, options)
    : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

async function openMainWindow(
  stateFile: string,
  startHidden: boolean,
  onQuitting: () => boolean,
): Promise<void> {
  const state = fitWindowState(
    await loadWindowState(stateFile),
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const window = createMainWindow({ preload: PRELOAD, state });
  mainWindow = window;
  window.on('close', (event) => {
    const bounds = window.getNormalBounds();
    void saveWindowState(stateFile, { ...bounds, maximized: window.isMaximized() }).catch(
      (e: unknown) => logger.warn('could not save the window state', { error: String(e) }),
    );
    // Closing the window leaves the app syncing in the tray; Quit ends it.
    if (!onQuitting()) {
      event.preventDefault();
      window.hide();
    }
  });
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  window.once('ready-to-show', () => {
    if (!startHidden) window.show();
  });
  await window.loadURL(APP_ENTRY_URL);
}

async function start(): Promise<void> {
  const dataDir = process.env.CVAT_SYNC_HOME || app.getPath('userData');
  logger = createFileLogger(logsDirOf(dataDir), systemClock, logger);
  Menu.setApplicationMenu(
    process.platform === 'darwin'
      ? Menu.buildFromTemplate([{ role: 'appMenu' }, { role: 'editMenu' }, { role: 'windowMenu' }])
      : null,
  );
  secureSession(session.defaultSession);
  protocol.handle(APP_SCHEME, createAppProtocolHandler(RENDERER_ROOT));
  app.on('web-contents-created', (_event, contents) =>
    lockDownContents(contents, (url) => void openLink(url)),
  );

  const { store, notice: credentialNotice } = await chooseCredentialStore(
    safeStorage,
    join(dataDir, KEYCHAIN_CREDENTIALS_FILE),
    process.platform,
  );

  let service: SyncService;
  try {
    service = await createSyncService({
      dataDir,
      host: 'desktop',
      credentials: store,
      clock: systemClock,
      logger,
      chooseFolder,
      openExternal: (url) => void openLink(url),
      // "System proxy" in the desktop app is the OS's, as Chromium resolves it.
      resolveProxy: osProxyResolver(session.defaultSession),
      startupNotices: credentialNotice === null ? [] : [credentialStartupNotice(credentialNotice)],
    });
  } catch (e) {
    logger.error('the service did not start', {
      error: e instanceof Error ? e.message : String(e),
    });
    dialog.showErrorBox(`${PRODUCT_NAME} cannot start`, e instanceof Error ? e.message : String(e));
    app.exit(1);
    return;
  }

  let notificationsEnabled = true;
  let startAtLogin: boolean | null = null;
  const notifier = new Notifier({
    show: showNotice,
    now: () => systemClock.now(),
    enabled: () => notificationsEnabled,
    windowFocused: () =>
      mainWindow !== null &&
      !mainWindow.isDestroyed() &&
      mainWindow.isVisible() &&
      mainWindow.isFocused(),
  });
  const applySettings = (settings: Settings): void => {
    notificationsEnabled = settings.notifications;
    if (!app.isPackaged || settings.startAtLogin === startAtLogin) return;
    startAtLogin = settings.startAtLogin;
    void applyStartAtLogin(settings.startAtLogin, {
      platform: process.platform,
      app,
      autostartFile: join(
        process.env.XDG_CONFIG_HOME || join(homedir(), '.config'),
        'autostart',
        'cvat-sync.desktop',
      ),
      execPath: process.env.APPIMAGE ?? process.execPath,
    }).catch((e: unknown) => logger.warn('could not change start at login', { error: String(e) }));
  };

  const initial = await service.getStatus();
  const idle: TrayStatus = { state: 'idle', percent: null, tooltip: PRODUCT_NAME };
  if (initial.ok) currentServer = initial.value.connection.server;

  let quitState: 'running' | 'closing' | 'closed' = 'running';
  const tray: TrayController = createTray(
    {
      open: showWindow,
      pauseAll: () => void service.pauseAll(),
      resumeAll: () => void service.resumeAll(),
      quit: () => app.quit(),
    },
    initial.ok ? trayStatusOf(initial.value) : idle,
  );

  const forward = eventForwarder(() => mainWindow?.webContents ?? null);
  service.subscribe((event: EventName, payload: SyncEvents[EventName]) => {
    forward(event, payload);
    if (event === 'status') {
      const status = payload as StatusSnapshot;
      currentServer = status.connection.server;
      if (quitState === 'running') tray.update(trayStatusOf(status));
    } else if (event === 'connection') {
      currentServer = (payload as SyncEvents['connection']).server;
    } else if (event === 'transfer') {
      notifier.onTransfer(payload as Transfer);
    } else if (event === 'transfer-removed') {
      notifier.onTransferRemoved((payload as SyncEvents['transfer-removed']).id);
    }
  });

  const unregisterIpc = registerIpcHandlers({
    ipcMain,
    service,
    parseArg: parseMethodArg,
    trusted: () =>
      mainWindow === null || mainWindow.isDestroyed() ? null : { contents: mainWindow.webContents },
    logger,
    afterCall: (method, value) => {
      if (method === 'getSettings' || method === 'updateSettings') applySettings(value as Settings);
    },
  });

  const settings = await service.getSettings();
  if (settings.ok) applySettings(settings.value);

  app.on('before-quit', (event) => {
    if (quitState === 'closed') return;
    event.preventDefault();
    if (quitState === 'closing') return;
    quitState = 'closing';
    void closeWithNotice(() => service.close(), {
      clock: systemClock,
      noticeAfterMs: QUIT_NOTICE_AFTER_MS,
      onSlow: () => {
        tray.showMessage('finishing…');
        notifier.notifyImportant({
          title: `${PRODUCT_NAME} is finishing…`,
          body: 'Saving the upload journal so that every transfer can resume; this takes a moment.',
        });
      },
    })
      .catch((e: unknown) => logger.error('closing the service failed', { error: String(e) }))
      .finally(() => {
        quitState = 'closed';
        unregisterIpc();
        tray.destroy();
        app.quit();
      });
  });
  app.on('activate', showWindow);

  const startHidden =
    process.argv.includes(HIDDEN_ARG) ||
    (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
  await openMainWindow(
    join(dataDir, 'window-state.json'),
    startHidden,
    () => quitState !== 'running',
  );

  if (credentialNotice !== null) {
    logger.warn(credentialNotice);
    notifier.notifyImportant({ title: 'Your CVAT token is not saved', body: credentialNotice });
  }
}

if (claimSingleInstance(app, showWindow)) {
  app
    .whenReady()
    .then(start)
    .catch((e: unknown) => {
      logger.error('the desktop app failed to start', {
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      });
      dialog.showErrorBox(
        `${PRODUCT_NAME} cannot start`,
        e instanceof Error ? e.message : String(e),
      );
      app.exit(1);
    });
}
