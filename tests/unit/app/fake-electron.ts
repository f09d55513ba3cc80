// A faithful stand-in for the parts of the 'electron' module the shell uses; the real module
// cannot load here (no Electron binary). Tests install it with
// vi.mock('electron', () => import('./fake-electron.js')).
import { EventEmitter } from 'node:events';

/** An Electron-style event: preventDefault() plus whatever details the event carries. */
export class FakeEvent {
  defaultPrevented = false;
  constructor(details: Record<string, unknown> = {}) {
    Object.assign(this, details);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export interface FakeFrame {
  url: string;
  processId: number;
  routingId: number;
  parent: FakeFrame | null;
}

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly mainFrame: FakeFrame = {
    url: 'app://cvat-sync/index.html',
    processId: 7,
    routingId: 1,
    parent: null,
  };
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  destroyed = false;
  sent: Array<{ channel: string; args: unknown[] }> = [];

  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = handler;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
}

export class BrowserWindow extends EventEmitter {
  static created: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  maximized = false;
  visible = false;
  loadedUrl: string | null = null;
  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.created.push(this);
  }
  maximize(): void {
    this.maximized = true;
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.emit('ready-to-show');
  }
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  focus(): void {}
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  isDestroyed(): boolean {
    return false;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isFocused(): boolean {
    return this.visible;
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  getNormalBounds(): { x: number; y: number; width: number; height: number } {
    return { x: 0, y: 0, width: Number(this.options.width), height: Number(this.options.height) };
  }
  /** Closing as Electron does: 'close' may be prevented. */
  close(): boolean {
    const event = new FakeEvent();
    this.emit('close', event);
    return !event.defaultPrevented;
  }
}

/** `app`: single-instance lock, lifecycle events, paths. */
class FakeApp extends EventEmitter {
  gotLock = true;
  isPackaged = false;
  userData = '';
  quits = 0;
  exits: number[] = [];
  private readyResolve: () => void = () => {};
  private readonly ready = new Promise<void>((r) => (this.readyResolve = r));
  requestSingleInstanceLock(): boolean {
    return this.gotLock;
  }
  whenReady(): Promise<void> {
    return this.ready;
  }
  fireReady(): void {
    this.readyResolve();
  }
  getPath(): string {
    return this.userData;
  }
  enableSandbox(): void {}
  setName(): void {}
  setAppUserModelId(): void {}
  getLoginItemSettings(): { wasOpenedAtLogin: boolean } {
    return { wasOpenedAtLogin: false };
  }
  setLoginItemSettings(): void {}
  /** Electron's quit: 'before-quit' may be prevented. */
  quit(): void {
    const event = new FakeEvent();
    this.emit('before-quit', event);
    if (!event.defaultPrevented) this.quits += 1;
  }
  exit(code: number): void {
    this.exits.push(code);
  }
}
export const app = new FakeApp();

export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (request: Request) => Promise<Response>>(),
  registeredBeforeReady: false,
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    protocol.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
    protocol.handlers.set(scheme, handler);
  },
};

class FakeSession extends EventEmitter {
  permissionRequestHandler: unknown = null;
  webRequest = { onHeadersReceived: (_l: unknown) => {} };
  setPermissionRequestHandler(h: unknown): void {
    this.permissionRequestHandler = h;
  }
  setPermissionCheckHandler(): void {}
  setDevicePermissionHandler(): void {}
  /** What the OS proxy settings answer for every URL (PAC syntax). */
  proxyAnswer = 'DIRECT';
  resolvedUrls: string[] = [];
  async resolveProxy(url: string): Promise<string> {
    this.resolvedUrls.push(url);
    return this.proxyAnswer;
  }
}
export const session = { defaultSession: new FakeSession() };

export const ipcMain = {
  handlers: new Map<string, (...args: unknown[]) => unknown>(),
  handle(channel: string, handler: (...args: unknown[]) => unknown): void {
    ipcMain.handlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    ipcMain.handlers.delete(channel);
  },
};

export class Notification extends EventEmitter {
  static shown: Array<{ title: string; body: string }> = [];
  static isSupported(): boolean {
    return true;
  }
  constructor(private readonly options: { title: string; body: string }) {
    super();
  }
  show(): void {
    Notification.shown.push(this.options);
  }
}

export const safeStorage = {
  getSelectedStorageBackend: () => 'gnome_libsecret',
  isEncryptionAvailable: () => true,
  isAsyncEncryptionAvailable: async () => true,
  encryptString: (s: string) => Buffer.from(s),
  decryptString: (b: Buffer) => b.toString(),
};

export const screen = {
  getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }],
};

export const shell = {
  opened: [] as string[],
  async openExternal(url: string): Promise<void> {
    shell.opened.push(url);
  },
};

export const dialog = {
  errors: [] as string[],
  showErrorBox(title: string, content: string): void {
    dialog.errors.push(`${title}: ${content}`);
  },
  async showOpenDialog(): Promise<{ canceled: boolean; filePaths: string[] }> {
    return { canceled: true, filePaths: [] };
  },
};

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown): void {
    if (contextBridge.exposed.has(key))
      throw new Error(`Cannot bind an API on top of an existing property "${key}"`);
    contextBridge.exposed.set(key, api);
  },
};

class FakeIpcRenderer extends EventEmitter {
  invocations: Array<{ channel: string; args: unknown[] }> = [];
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invocations.push({ channel, args });
    return { ok: true, value: channel };
  }
}
export const ipcRenderer = new FakeIpcRenderer();

export class Menu {
  static built: Array<Array<Record<string, unknown>>> = [];
  static application: Menu | null | undefined;
  static setApplicationMenu(menu: Menu | null): void {
    Menu.application = menu;
  }
  constructor(readonly template: Array<Record<string, unknown>>) {}
  static buildFromTemplate(template: Array<Record<string, unknown>>): Menu {
    Menu.built.push(template);
    return new Menu(template);
  }
}

export class FakeImage {
  readonly representations: Array<{ scaleFactor: number; buffer: Buffer }> = [];
  addRepresentation(r: { scaleFactor: number; buffer: Buffer }): void {
    this.representations.push(r);
  }
}

export const nativeImage = {
  createFromBuffer(buffer: Buffer, options: { scaleFactor: number }): FakeImage {
    const image = new FakeImage();
    image.addRepresentation({ scaleFactor: options.scaleFactor, buffer });
    return image;
  },
};

export class Tray extends EventEmitter {
  static created: Tray[] = [];
  image: FakeImage;
  tooltip = '';
  menu: Menu | null = null;
  destroyed = false;
  constructor(image: FakeImage) {
    super();
    this.image = image;
    Tray.created.push(this);
  }
  setImage(image: FakeImage): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: Menu): void {
    this.menu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
}
