import { describe, expect, it } from 'vitest';
import {
  DOCS_ORIGINS,
  allowedExternalOrigins,
  isAllowedExternalUrl,
} from '../../../main/app/external-links.js';

describe('external link allowlist', () => {
  const origins = allowedExternalOrigins('https://cvat.example.com/base/');

  it('opens pages of the configured CVAT server and the docs', () => {
    expect(isAllowedExternalUrl('https://cvat.example.com/tasks/12', origins)).toBe(true);
    expect(isAllowedExternalUrl('https://CVAT.example.com:443/tasks/12?x=1#y', origins)).toBe(true);
    expect(isAllowedExternalUrl(`${DOCS_ORIGINS[0]}/docs/administration/`, origins)).toBe(true);
  });

  it('refuses other hosts, look-alikes, ports and schemes', () => {
    for (const url of [
      'https://evil.example.com/tasks/12',
      'https://cvat.example.com.evil.net/',
      'https://cvat.example.com:8443/',
      'http://cvat.example.com/tasks/12',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'smb://cvat.example.com/share',
      'ms-settings:privacy',
      'app://cvat-sync/index.html',
      'https://user:pw@cvat.example.com/',
      'https://cvat.example.com@evil.net/',
      'not a url',
      '',
    ]) {
      expect(isAllowedExternalUrl(url, origins), url).toBe(false);
    }
  });

  it('allows plain http only when the server itself is http', () => {
    const local = allowedExternalOrigins('http://localhost:8080');
    expect(isAllowedExternalUrl('http://localhost:8080/tasks/1', local)).toBe(true);
    expect(isAllowedExternalUrl('https://localhost:8080/tasks/1', local)).toBe(false);
  });

  it('without a server only the docs are allowed; a bad server setting adds nothing', () => {
    expect(allowedExternalOrigins(null)).toEqual([...DOCS_ORIGINS]);
    expect(allowedExternalOrigins('javascript:alert(1)')).toEqual([...DOCS_ORIGINS]);
    expect(allowedExternalOrigins('ftp://cvat.example.com')).toEqual([...DOCS_ORIGINS]);
  });
});
