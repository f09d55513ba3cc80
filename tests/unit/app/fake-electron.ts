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
  readonly mainFrame: FakeFrame = { url: 'app://cvat-sync/index.html', processId: 7, routingId: 1, parent: null };
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
  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.created.push(this);
  }
  maximize(): void {
    this.maximized = true;
  }
}

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown): void {
    if (contextBridge.exposed.has(key)) throw new Error(`Cannot bind an API on top of an existing property "${key}"`);
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
