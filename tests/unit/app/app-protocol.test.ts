import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  createAppProtocolHandler,
  isAppUrl,
  mimeTypeFor,
  resolveAppPath,
} from '../../../main/app/app-protocol.js';
import { CONTENT_SECURITY_POLICY } from '../../../main/app/csp.js';

const base = mkdtempSync(join(tmpdir(), 'cvat-sync-protocol-'));
const root = join(base, 'renderer');
mkdirSync(join(root, 'assets'), { recursive: true });
writeFileSync(join(root, 'index.html'), '<!doctype html><title>CVAT Sync</title>');
writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
writeFileSync(join(root, 'assets', 'a b.css'), 'body{}');
writeFileSync(join(base, 'secret.txt'), 'token=abc');
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('resolveAppPath', () => {
  it('maps our URLs to files under the root', () => {
    expect(resolveAppPath(root, APP_ENTRY_URL)).toBe(join(root, 'index.html'));
    expect(resolveAppPath(root, `${APP_ORIGIN}/`)).toBe(join(root, 'index.html'));
    expect(resolveAppPath(root, APP_ORIGIN)).toBe(join(root, 'index.html'));
    expect(resolveAppPath(root, `${APP_ORIGIN}/assets/index-abc.js?v=1#x`)).toBe(
      join(root, 'assets', 'index-abc.js'),
    );
    expect(resolveAppPath(root, `${APP_ORIGIN}/assets/a%20b.css`)).toBe(
      join(root, 'assets', 'a b.css'),
    );
  });

  it.each([
    ['parent segment', `${APP_ORIGIN}/../secret.txt`],
    ['nested parent segment', `${APP_ORIGIN}/assets/../../secret.txt`],
    ['encoded dots', `${APP_ORIGIN}/%2e%2e/secret.txt`],
    ['upper-case encoded dots', `${APP_ORIGIN}/%2E%2E/secret.txt`],
    ['mixed encoded dot', `${APP_ORIGIN}/.%2e/secret.txt`],
    ['single dot', `${APP_ORIGIN}/./index.html`],
    ['encoded slash', `${APP_ORIGIN}/..%2fsecret.txt`],
    ['encoded slash inside a name', `${APP_ORIGIN}/assets%2f..%2f..%2fsecret.txt`],
    ['encoded backslash', `${APP_ORIGIN}/..%5csecret.txt`],
    ['raw backslash', `${APP_ORIGIN}/..\\secret.txt`],
    ['absolute path after the origin', `${APP_ORIGIN}//etc/passwd`],
    ['encoded absolute path', `${APP_ORIGIN}/%2fetc%2fpasswd`],
    ['windows drive', `${APP_ORIGIN}/C:/Windows/win.ini`],
    ['encoded drive', `${APP_ORIGIN}/C%3a%5cWindows`],
    ['NUL', `${APP_ORIGIN}/index.html%00.js`],
    ['control character', `${APP_ORIGIN}/index%0a.html`],
    ['malformed escape', `${APP_ORIGIN}/%E0%A4%A`],
    ['empty segment', `${APP_ORIGIN}/assets//index-abc.js`],
    ['directory', `${APP_ORIGIN}/assets/`],
    ['another host', 'app://other/index.html'],
    ['host prefix trick', 'app://cvat-sync.evil/index.html'],
    ['credentials in the URL', 'app://user@cvat-sync/index.html'],
    ['another scheme', 'file:///etc/passwd'],
    ['https', 'https://cvat-sync/index.html'],
  ])('refuses %s', (_name, url) => {
    expect(resolveAppPath(root, url)).toBeNull();
  });

  it('never resolves outside the root, whatever the input', () => {
    const tricky = ['..', '%2e%2e', '.%2E', '%2f', '%5c', '\\', '%00', 'a', '', '.', '%252e%252e'];
    for (const a of tricky) {
      for (const b of tricky) {
        const resolved = resolveAppPath(root, `${APP_ORIGIN}/${a}/${b}/secret.txt`);
        if (resolved !== null) expect(relative(root, resolved).startsWith('..')).toBe(false);
      }
    }
  });

  it('treats double-encoded dots as a literal name inside the root', () => {
    expect(resolveAppPath(root, `${APP_ORIGIN}/%252e%252e/secret.txt`)).toBe(
      join(root, '%2e%2e', 'secret.txt'),
    );
  });
});

describe('isAppUrl', () => {
  it('accepts only our scheme and host', () => {
    expect(isAppUrl('app://cvat-sync/index.html')).toBe(true);
    expect(isAppUrl('app://cvat-sync')).toBe(true);
    expect(isAppUrl('app://cvat-sync.evil/index.html')).toBe(false);
    expect(isAppUrl('app://x@cvat-sync/')).toBe(false);
    expect(isAppUrl('https://cvat-sync/')).toBe(false);
    expect(isAppUrl('file:///index.html')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});

describe('the app:// protocol handler', () => {
  const handler = createAppProtocolHandler(root);

  it('serves files with their type and the security headers', async () => {
    const res = await handler(new Request(APP_ENTRY_URL));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>CVAT Sync</title>');
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const js = await handler(new Request(`${APP_ORIGIN}/assets/index-abc.js`));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('answers 404 for traversal and missing files, without reading outside the root', async () => {
    const read: string[] = [];
    const spyHandler = createAppProtocolHandler(root, async (p) => {
      read.push(p);
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    });
    for (const url of [
      `${APP_ORIGIN}/%2e%2e/secret.txt`,
      `${APP_ORIGIN}/..%2fsecret.txt`,
      `${APP_ORIGIN}/index.html%00`,
    ]) {
      const res = await spyHandler(new Request(url));
      expect(res.status).toBe(404);
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    }
    // Request() itself normalises %2e%2e away (as Chromium does), so a read may happen: never outside.
    for (const p of read) expect(relative(root, p).startsWith('..')).toBe(false);
    expect((await handler(new Request(`${APP_ORIGIN}/missing.js`))).status).toBe(404);
  });

  it('refuses methods other than GET and HEAD', async () => {
    const res = await handler(new Request(APP_ENTRY_URL, { method: 'POST', body: 'x' }));
    expect(res.status).toBe(405);
    const head = await handler(new Request(APP_ENTRY_URL, { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('knows the types of the renderer build', () => {
    expect(mimeTypeFor('a.CSS')).toBe('text/css; charset=utf-8');
    expect(mimeTypeFor('a.woff2')).toBe('font/woff2');
    expect(mimeTypeFor('a.svg')).toBe('image/svg+xml');
    expect(mimeTypeFor('noext')).toBe('application/octet-stream');
  });
});
