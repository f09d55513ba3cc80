// `cvat-sync settings set KEY VALUE`: the command-line names of the settings, how their values
// are written (5M, 500k, off, on…) and their checks, which match the contract's schema so that
// a bad value is one clear line (exit 2) before anything is sent.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Settings, SettingsPatch } from '../../preload/contract.js';
import { parseProxyUrl } from '../cvat/proxy-rules.js';
import { requireFolder, usageError } from './rule-options.js';

export const SETTING_KEYS = [
  'concurrency',
  'bandwidth',
  'chunk-size',
  'downloads-dir',
  'notifications',
  'start-at-login',
  'theme',
  'proxy',
  'proxy-user',
  'proxy-password',
  'no-proxy',
  'ca-file',
] as const;

export type SettingKey = (typeof SETTING_KEYS)[number];

const FIELD: Record<SettingKey, keyof SettingsPatch> = {
  concurrency: 'concurrency',
  bandwidth: 'bandwidthLimitBps',
  'chunk-size': 'chunkSizeMiB',
  'downloads-dir': 'downloadsDir',
  notifications: 'notifications',
  'start-at-login': 'startAtLogin',
  theme: 'theme',
  proxy: 'proxyMode',
  'proxy-user': 'proxyUser',
  'proxy-password': 'proxyPassword',
  'no-proxy': 'noProxy',
  'ca-file': 'caFile',
};

export const SETTINGS_HELP = `Keys:
  concurrency      uploads and downloads running at once, 1-32
  bandwidth        limit for uploads and downloads together, bytes per second:
                   500k, 5M, 1G (1000-based), 512Ki, 8Mi (1024-based), or off
  chunk-size       upload chunk size in MiB, 1-1024 (CVAT before 2.55 refuses chunks
                   over 100 MiB: for those servers chunks are capped at 100)
  downloads-dir    folder exports and backups go to (must exist)
  notifications    on | off (desktop notifications)
  start-at-login   on | off (the desktop app starts when you log in)
  theme            system | light | dark
  proxy            system (the OS's or HTTPS_PROXY / http_proxy / NO_PROXY), off,
                   or HOST:PORT of an HTTP proxy (CONNECT for https)
  proxy-user       user name for the proxy ("" for none)
  proxy-password   - to type it (or pipe it on stdin), off to forget it; kept like the token
  no-proxy         hosts that bypass the manual proxy: cvat.lan,.corp,10.0.0.5,host:8443
  ca-file          PEM file of extra CA certificates to trust (an internal CA), or off`;

export function isSettingKey(key: string): key is SettingKey {
  return (SETTING_KEYS as readonly string[]).includes(key);
}

export function settingKey(key: string): SettingKey {
  if (isSettingKey(key)) return key;
  throw usageError(
    `Unknown setting "${key}".`,
    `Settings are: ${SETTING_KEYS.join(', ')} (see \`cvat-sync settings set --help\`).`,
  );
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  ki: 1024,
  mi: 1024 ** 2,
  gi: 1024 ** 3,
};

/** "5M" -> 5000000, "512Ki" -> 524288, "off" -> null (no limit). */
export function parseBandwidth(value: string): number | null {
  const v = value.trim();
  if (/^(off|none|unlimited|0)$/i.test(v)) return null;
  const m = /^(\d+(?:\.\d+)?)\s*(k|m|g|ki|mi|gi)?(?:b)?(?:\/s|ps)?$/i.exec(v);
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  const n = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw usageError(
      `bandwidth must be bytes per second such as 500k, 5M or 8Mi, or off; not "${value}".`,
    );
  }
  return n;
}

/** The shortest exact form parseBandwidth reads back: 5000000 -> "5M", null -> "off". */
export function formatBandwidth(bps: number | null): string {
  if (bps === null) return 'off';
  for (const [suffix, unit] of [
    ['G', 1e9],
    ['Gi', 1024 ** 3],
    ['M', 1e6],
    ['Mi', 1024 ** 2],
    ['k', 1e3],
    ['Ki', 1024],
  ] as const) {
    if (bps >= unit && bps % unit === 0) return `${bps / unit}${suffix}`;
  }
  return String(bps);
}

function parseSwitch(key: string, value: string): boolean {
  if (/^(on|true|yes|1)$/i.test(value)) return true;
  if (/^(off|false|no|0)$/i.test(value)) return false;
  throw usageError(`${key} must be on or off, not "${value}".`);
}

function parseWhole(key: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw usageError(`${key} must be a whole number from ${min} to ${max}, not "${value}".`);
  return n;
}

/** One setting from the command line as the contract's patch; a usage error when invalid. */
export function parseSetting(key: string, value: string): SettingsPatch {
  const k = settingKey(key);
  const field = FIELD[k];
  switch (k) {
    case 'concurrency':
      return { [field]: parseWhole(k, value, 1, 32) };
    case 'chunk-size':
      return { [field]: parseWhole(k, value, 1, 1024) };
    case 'bandwidth':
      return { [field]: parseBandwidth(value) };
    case 'downloads-dir':
      return { [field]: requireFolder(value) };
    case 'notifications':
    case 'start-at-login':
      return { [field]: parseSwitch(k, value) };
    case 'theme':
      if (value !== 'system' && value !== 'light' && value !== 'dark')
        throw usageError(`theme must be system, light or dark, not "${value}".`);
      return { theme: value };
    case 'proxy':
      return parseProxySetting(value);
    case 'proxy-user':
      return { proxyUser: value.trim() };
    case 'proxy-password':
      if (/^(off|none)$/i.test(value)) return { proxyPassword: null };
      throw usageError(
        'A password on the command line is readable by every local user.',
        'Use `cvat-sync settings set proxy-password -` (asks, or reads stdin), or off to forget it.',
      );
    case 'no-proxy':
      return { noProxy: value.trim() };
    case 'ca-file':
      if (/^(off|none)$/i.test(value)) return { caFile: null };
      return { caFile: requireFile(value) };
  }
}

function parseProxySetting(value: string): SettingsPatch {
  const v = value.trim();
  if (/^system$/i.test(v)) return { proxyMode: 'system' };
  if (/^(off|none|direct)$/i.test(v)) return { proxyMode: 'none' };
  let p;
  try {
    p = parseProxyUrl(v);
  } catch (e) {
    throw usageError(
      `proxy: ${(e as Error).message}.`,
      'Use HOST:PORT (e.g. proxy.lab:3128), system, or off.',
    );
  }
  if (p.password !== undefined)
    throw usageError(
      'proxy: leave the password out of the address.',
      'Set it with `cvat-sync settings set proxy-password -`.',
    );
  return {
    proxyMode: 'manual',
    proxyHost: p.host,
    proxyPort: p.port,
    ...(p.username !== undefined ? { proxyUser: p.username } : {}),
  };
}

function requireFile(value: string): string {
  const path = resolve(value);
  let ok = false;
  try {
    ok = statSync(path).isFile();
  } catch {
    ok = false;
  }
  if (!ok) throw usageError(`ca-file: ${path} is not a readable file.`, undefined, 'missing-path');
  return path;
}

/** Every setting as (command-line key, shown value), then the read-only locations. */
export function settingRows(s: Settings): Array<[string, string]> {
  return [
    ['concurrency', String(s.concurrency)],
    ['bandwidth', formatBandwidth(s.bandwidthLimitBps)],
    ['chunk-size', `${s.chunkSizeMiB}`],
    ['downloads-dir', s.downloadsDir],
    ['notifications', s.notifications ? 'on' : 'off'],
    ['start-at-login', s.startAtLogin ? 'on' : 'off'],
    ['theme', s.theme],
    [
      'proxy',
      s.proxyMode === 'manual'
        ? `${s.proxyHost}:${s.proxyPort ?? ''}`
        : s.proxyMode === 'none'
          ? 'off'
          : 'system',
    ],
    ['proxy-user', s.proxyUser],
    ['proxy-password', s.proxyPasswordSet ? '(saved)' : ''],
    ['no-proxy', s.noProxy],
    ['ca-file', s.caFile ?? 'off'],
    ['data-dir', s.dataDir],
    ['logs-dir', s.logsDir],
    ['agent-id', s.agentId ?? '(none yet: made when the engine first runs)'],
  ];
}
