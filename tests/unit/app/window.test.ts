import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebContents } from 'electron';

vi.mock('electron', () => import('./fake-electron.js'));

const { BrowserWindow, FakeEvent, FakeWebContents } = await import('./fake-electron.js');
const { createMainWindow, lockDownContents } = await import('../../../main/app/window.js');

beforeEach(() => {
  BrowserWindow.created.length = 0;
});

describe('main window', () => {
  it('is created with the security flags, literally', () => {
    createMainWindow({
      preload: '/app/dist/preload/index.cjs',
      state: { width: 1000, height: 700, maximized: false },
    });
    const options = BrowserWindow.created[0]?.options as {
      webPreferences: Record<string, unknown>;
      show: boolean;
    };
    expect(options.webPreferences).toEqual({
      preload: '/app/dist/preload/index.cjs',
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
      disableBlinkFeatures: 'Auxclick',
    });
    // Shown on ready-to-show, so the user never sees an empty frame.
    expect(options.show).toBe(false);
  });

  it('takes the remembered size and position', () => {
    createMainWindow({
      preload: '/p',
      state: { x: 10, y: 20, width: 1000, height: 700, maximized: true },
    });
    const w = BrowserWindow.created[0];
    expect(w?.options).toMatchObject({ x: 10, y: 20, width: 1000, height: 700 });
    expect(w?.maximized).toBe(true);
  });
});

describe('lockDownContents', () => {
  function setup() {
    const contents = new FakeWebContents();
    const opened: string[] = [];
    lockDownContents(contents as unknown as WebContents, (url) => opened.push(url));
    return { contents, opened };
  }

  it('blocks every navigation and offers the URL to the external-link check', () => {
    const { contents, opened } = setup();
    for (const url of [
      'https://cvat.example.com/tasks/1',
      'file:///etc/passwd',
      'app://cvat-sync/other.html',
    ]) {
      const event = new FakeEvent({ url, isMainFrame: true });
      contents.emit('will-navigate', event);
      expect(event.defaultPrevented).toBe(true);
    }
    expect(opened).toEqual([
      'https://cvat.example.com/tasks/1',
      'file:///etc/passwd',
      'app://cvat-sync/other.html',
    ]);
  });

  it('denies every window.open, handing the URL to the check', () => {
    const { contents, opened } = setup();
    expect(contents.windowOpenHandler?.({ url: 'https://docs.cvat.ai/' })).toEqual({
      action: 'deny',
    });
    expect(contents.windowOpenHandler?.({ url: 'javascript:alert(1)' })).toEqual({
      action: 'deny',
    });
    expect(opened).toEqual(['https://docs.cvat.ai/', 'javascript:alert(1)']);
  });

  it('blocks sub-frame navigations, redirects and webviews', () => {
    const { contents, opened } = setup();
    const sub = new FakeEvent({ url: 'https://evil/', isMainFrame: false });
    contents.emit('will-frame-navigate', sub);
    expect(sub.defaultPrevented).toBe(true);
    const top = new FakeEvent({ url: 'https://x/', isMainFrame: true });
    contents.emit('will-frame-navigate', top);
    expect(top.defaultPrevented).toBe(false); // the top frame is handled by will-navigate
    const redirect = new FakeEvent({ url: 'https://evil/' });
    contents.emit('will-redirect', redirect);
    expect(redirect.defaultPrevented).toBe(true);
    const webview = new FakeEvent();
    contents.emit('will-attach-webview', webview, {}, {});
    expect(webview.defaultPrevented).toBe(true);
    expect(opened).toEqual([]);
  });
});
