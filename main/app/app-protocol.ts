// The renderer is served from app://cvat-sync/… rather than file://, so it has a real origin
// (IPC sender checks, CSP 'self') and can read nothing outside dist/renderer.
import { readFile } from 'node:fs/promises';
import { join, relative, isAbsolute, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY } from './csp.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'cvat-sync';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** True when `url` is a page of our renderer (scheme and host, whatever the path). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (
      u.protocol === `${APP_SCHEME}:` &&
      u.host === APP_HOST &&
      u.username === '' &&
      u.password === ''
    );
  } catch {
    return false;
  }
}

const MIME: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  ico: 'image/x-icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
};

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++)
    if (s.charCodeAt(i) < 0x20 || s.charCodeAt(i) === 0x7f) return true;
  return false;
}

/**
 * Maps a request URL to a file under `root`, or null when the URL is not ours or its path is
 * suspicious. The raw path is checked segment by segment before any normalisation, so `..`,
 * `%2e%2e`, encoded separators, backslashes, drive letters and NUL are refused rather than
 * resolved; a final containment check guards against anything the rules above miss.
 */
export function resolveAppPath(root: string, requestUrl: string): string | null {
  const prefix = `${APP_ORIGIN}/`;
  if (requestUrl !== APP_ORIGIN && !requestUrl.startsWith(prefix)) return null;
  const rawPath = requestUrl.slice(APP_ORIGIN.length).replace(/[?#].*$/s, '');
  if (rawPath.includes('\\')) return null;
  const rawSegments = rawPath.split('/').slice(1);
  if (rawSegments.length === 0 || (rawSegments.length === 1 && rawSegments[0] === ''))
    rawSegments.splice(0, 1, 'index.html');
  const segments: string[] = [];
  for (const raw of rawSegments) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (seg === '' || seg === '.' || seg === '..') return null;
    if (/[/\\:]/.test(seg) || hasControlCharacter(seg)) return null;
    segments.push(seg);
  }
  const full = join(root, ...segments);
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return null;
  return full;
}

export function mimeTypeFor(path: string): string {
  const dot = path.lastIndexOf('.');
  return (
    (dot >= 0 ? MIME[path.slice(dot + 1).toLowerCase()] : undefined) ?? 'application/octet-stream'
  );
}

/** Headers every response of ours carries; the CSP is set here because webRequest skips custom schemes. */
export function securityHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  };
}

export type FileReader = (path: string) => Promise<Uint8Array>;

/** The protocol.handle handler for APP_SCHEME: GET/HEAD of files under `root`, nothing else. */
export function createAppProtocolHandler(
  root: string,
  read: FileReader = readFile,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const plain = (status: number, text: string): Response =>
      new Response(request.method === 'HEAD' ? null : text, {
        status,
        headers: securityHeaders(MIME.txt ?? 'text/plain'),
      });
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return plain(405, 'Method not allowed');
    const path = resolveAppPath(root, request.url);
    if (path === null) return plain(404, 'Not found');
    let body: Uint8Array;
    try {
      body = await read(path);
    } catch {
      return plain(404, 'Not found');
    }
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: securityHeaders(mimeTypeFor(path)),
    });
  };
}
