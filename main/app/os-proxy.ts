// The OS proxy for the desktop app: Chromium's resolution (system settings, PAC files, WPAD)
// through Electron's session.resolveProxy, turned into the proxy the network stack dials.
import type { Session } from 'electron';
import type { ProxyEndpoint } from '../cvat/proxy-rules.js';
import { parsePacAnswer } from '../cvat/net-stack.js';
import type { ProxyResolver } from '../cvat/net-stack.js';

export function osProxyResolver(session: Pick<Session, 'resolveProxy'>): ProxyResolver {
  return async (url: string): Promise<ProxyEndpoint | null> =>
    parsePacAnswer(await session.resolveProxy(url));
}
