// Session-wide defences: permissions denied by default, the CSP on every HTTP(S) response the
// session sees (our own app:// responses carry it from the protocol handler), no downloads
// started by web content.
import type { Session } from 'electron';
import { applyContentSecurityPolicy } from './csp.js';
import { isPermissionAllowed } from './permissions.js';

export function secureSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(isPermissionAllowed(permission, details.requestingUrl));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    isPermissionAllowed(permission, requestingOrigin),
  );
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onHeadersReceived(applyContentSecurityPolicy);
  session.on('will-download', (event) => event.preventDefault());
}
