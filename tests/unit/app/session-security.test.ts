import { EventEmitter } from 'node:events';
import type { Session } from 'electron';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../main/app/csp.js';
import { isPermissionAllowed } from '../../../main/app/permissions.js';
import { secureSession } from '../../../main/app/session-security.js';
import { FakeEvent } from './fake-electron.js';

type RequestHandler = (
  wc: unknown,
  permission: string,
  callback: (granted: boolean) => void,
  details: { requestingUrl: string },
) => void;
type CheckHandler = (wc: unknown, permission: string, origin: string) => boolean;
type HeadersListener = (
  details: { responseHeaders?: Record<string, string[]> },
  cb: (r: { responseHeaders: Record<string, string[]> }) => void,
) => void;

class FakeSession extends EventEmitter {
  request: RequestHandler | null = null;
  check: CheckHandler | null = null;
  device: (() => boolean) | null = null;
  headers: HeadersListener | null = null;
  webRequest = { onHeadersReceived: (l: HeadersListener) => (this.headers = l) };
  setPermissionRequestHandler(h: RequestHandler) {
    this.request = h;
  }
  setPermissionCheckHandler(h: CheckHandler) {
    this.check = h;
  }
  setDevicePermissionHandler(h: () => boolean) {
    this.device = h;
  }
}

describe('session security', () => {
  const s = new FakeSession();
  secureSession(s as unknown as Session);

  it('denies permission requests by default, even from our own page', () => {
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'clipboard-read',
      'fullscreen',
      'hid',
      'usb',
      'serial',
    ]) {
      let granted: boolean | null = null;
      s.request?.(null, permission, (g) => (granted = g), {
        requestingUrl: 'app://cvat-sync/index.html',
      });
      expect(granted, permission).toBe(false);
      expect(s.check?.(null, permission, 'app://cvat-sync'), permission).toBe(false);
    }
    expect(s.device?.()).toBe(false);
  });

  it('allows only writing text to the clipboard, and only for our origin', () => {
    let granted: boolean | null = null;
    s.request?.(null, 'clipboard-sanitized-write', (g) => (granted = g), {
      requestingUrl: 'app://cvat-sync/index.html',
    });
    expect(granted).toBe(true);
    expect(s.check?.(null, 'clipboard-sanitized-write', 'app://cvat-sync')).toBe(true);
    expect(s.check?.(null, 'clipboard-sanitized-write', 'https://evil.example')).toBe(false);
    expect(isPermissionAllowed('clipboard-sanitized-write', 'file:///x')).toBe(false);
  });

  it('adds the CSP to responses and refuses downloads started by web content', () => {
    let headers: Record<string, string[]> | undefined;
    s.headers?.({ responseHeaders: { 'X-A': ['1'] } }, (r) => (headers = r.responseHeaders));
    expect(headers).toEqual({ 'X-A': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    const download = new FakeEvent();
    s.emit('will-download', download, {}, {});
    expect(download.defaultPrevented).toBe(true);
  });
});
