// Proxy choice from the environment as curl reads it, and the OS resolver's PAC answers.
import { describe, expect, it } from 'vitest';
import {
  bypassesProxy,
  parseProxyUrl,
  proxyFor,
  proxyRulesFromEnv,
} from '../../../main/cvat/proxy-rules.js';
import { NetStack, parsePacAnswer } from '../../../main/cvat/net-stack.js';
import { normaliseFingerprint } from '../../../main/cvat/tls-trust.js';

const at = (env: Record<string, string>, url: string) =>
  proxyFor(proxyRulesFromEnv(env), new URL(url));

describe('proxy environment (curl rules)', () => {
  it('https_proxy for https, http_proxy for http, all_proxy as fallback', () => {
    const env = { HTTPS_PROXY: 'http://s:3128', http_proxy: 'p:8080', ALL_PROXY: 'a:1' };
    expect(at(env, 'https://cvat.lan')).toEqual({ host: 's', port: 3128 });
    expect(at(env, 'http://cvat.lan')).toEqual({ host: 'p', port: 8080 });
    expect(at({ ALL_PROXY: 'a:1' }, 'http://cvat.lan')).toEqual({ host: 'a', port: 1 });
  });

  it('ignores uppercase HTTP_PROXY (httpoxy), lowercase wins, default port 1080', () => {
    expect(at({ HTTP_PROXY: 'p:8080' }, 'http://cvat.lan')).toBeNull();
    expect(at({ https_proxy: 'low', HTTPS_PROXY: 'up' }, 'https://x')).toEqual({
      host: 'low',
      port: 1080,
    });
  });

  it('keeps proxy credentials, decoded', () => {
    expect(parseProxyUrl('http://me%40lab:p%3Ass@proxy:3128')).toEqual({
      host: 'proxy',
      port: 3128,
      username: 'me@lab',
      password: 'p:ss',
    });
  });

  it('rejects what is not an http proxy, naming the variable', () => {
    expect(() => proxyRulesFromEnv({ HTTPS_PROXY: 'socks5://x:1' })).toThrow(
      /HTTPS_PROXY: .*only http:\/\/ proxies/,
    );
    expect(() => parseProxyUrl('http://')).toThrow(/not a proxy address|no host/);
    expect(
      () => new NetStack({ proxy: { kind: 'env', env: { HTTPS_PROXY: 'socks5://x:1' } } }),
    ).toThrow(
      expect.objectContaining({ code: 'proxy-config', hint: expect.stringMatching(/unset/) }),
    );
  });

  it('NO_PROXY: suffix at a dot, leading dot or *. ignored, IPs, host:port, and *', () => {
    const list = ['example.com', '.lab.local', '10.0.0.5', 'cvat.lan:8443'];
    expect(bypassesProxy(list, 'example.com', 443)).toBe(true);
    expect(bypassesProxy(list, 'a.b.example.com', 443)).toBe(true);
    expect(bypassesProxy(list, 'notexample.com', 443)).toBe(false);
    expect(bypassesProxy(list, 'lab.local', 80)).toBe(true);
    expect(bypassesProxy(list, 'x.lab.local', 80)).toBe(true);
    expect(bypassesProxy(list, '10.0.0.5', 80)).toBe(true);
    expect(bypassesProxy(list, '10.0.0.50', 80)).toBe(false);
    expect(bypassesProxy(list, 'cvat.lan', 8443)).toBe(true);
    expect(bypassesProxy(list, 'cvat.lan', 443)).toBe(false);
    expect(bypassesProxy(['*'], 'anything', 1)).toBe(true);
    expect(
      at({ HTTPS_PROXY: 'p:1', no_proxy: 'cvat.lan', NO_PROXY: '*' }, 'https://other'),
    ).toEqual({ host: 'p', port: 1 });
    expect(at({ HTTPS_PROXY: 'p:1', NO_PROXY: 'cvat.lan, other' }, 'https://other')).toBeNull();
  });
});

describe('OS proxy answers (Electron resolveProxy, PAC syntax)', () => {
  it('takes the first PROXY entry, DIRECT means none, skips SOCKS', () => {
    expect(parsePacAnswer('PROXY proxy.lan:3128; DIRECT')).toEqual({
      host: 'proxy.lan',
      port: 3128,
    });
    expect(parsePacAnswer('DIRECT')).toBeNull();
    expect(parsePacAnswer('SOCKS5 s:1080; PROXY p:8080')).toEqual({ host: 'p', port: 8080 });
    expect(parsePacAnswer('')).toBeNull();
  });
});

describe('fingerprints', () => {
  it('accepts any spelling and gives SHA256:AB:CD:…', () => {
    const hex = 'ab'.repeat(32);
    const want = `SHA256:${Array(32).fill('AB').join(':')}`;
    expect(normaliseFingerprint(hex)).toBe(want);
    expect(normaliseFingerprint(`sha256:${hex}`)).toBe(want);
    expect(normaliseFingerprint(want)).toBe(want);
    expect(() => normaliseFingerprint('SHA256:1234')).toThrow(/64 hex digits/);
  });
});
