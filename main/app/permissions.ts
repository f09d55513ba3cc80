// Web permissions the renderer may use. Everything is denied except writing plain text to the
// clipboard from our own pages (copy buttons next to errors and task URLs).
import { isAppUrl } from './app-protocol.js';

const ALLOWED = new Set(['clipboard-sanitized-write']);

export function isPermissionAllowed(permission: string, requestingUrl: string): boolean {
  return ALLOWED.has(permission) && isAppUrl(requestingUrl);
}
