// Headless credential stores. The OS keychain is reachable only from Electron (safeStorage), so
// the CLI and daemon keep the saved profile in a file only its owner can read, or in memory when
// the credentials came from flags or the environment.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyncError } from '../core/errors.js';
import type { CvatAuth } from '../cvat/api.js';
import type { CredentialStore, StoredCredentials } from './host.js';

export const CREDENTIALS_FILE = 'credentials.json';

export class MemoryCredentialStore implements CredentialStore {
  readonly kind = 'memory' as const;
  constructor(private current: StoredCredentials | null = null) {}
  async load(): Promise<StoredCredentials | null> {
    return this.current;
  }
  async save(credentials: StoredCredentials): Promise<void> {
    this.current = credentials;
  }
  async clear(): Promise<void> {
    this.current = null;
  }
}

export class FileCredentialStore implements CredentialStore {
  readonly kind = 'file' as const;
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, CREDENTIALS_FILE);
  }

  async load(): Promise<StoredCredentials | null> {
    let raw: string;
    try {
      raw = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const parsed = parseCredentials(raw);
    if (!parsed) {
      throw new SyncError(`The saved profile ${this.path} is not readable.`, {
        code: 'profile-broken',
        kind: 'fatal',
        operation: 'load profile',
        hint: 'Run `cvat-sync login` again to replace it.',
      });
    }
    return parsed;
  }

  async save(credentials: StoredCredentials): Promise<void> {
    mkdirSync(join(this.path, '..'), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    // Created owner-only (a stale .tmp of another mode is removed first, since writing over it
    // would keep its mode); the rename keeps the mode, so the secret is never world-readable.
    rmSync(tmp, { force: true });
    writeFileSync(tmp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }

  async clear(): Promise<void> {
    rmSync(this.path, { force: true });
  }
}

function parseAuth(v: unknown): CvatAuth | null {
  if (!v || typeof v !== 'object') return null;
  const a = v as Record<string, unknown>;
  if (a.kind === 'token' && typeof a.token === 'string') return { kind: 'token', token: a.token };
  if (a.kind === 'key' && typeof a.key === 'string') return { kind: 'key', key: a.key };
  if (a.kind === 'basic' && typeof a.username === 'string' && typeof a.password === 'string') {
    return { kind: 'basic', username: a.username, password: a.password };
  }
  return null;
}

function parseCredentials(raw: string): StoredCredentials | null {
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    const auth = parseAuth(v.auth);
    if (typeof v.server !== 'string' || !auth) return null;
    return {
      server: v.server,
      org: typeof v.org === 'string' ? v.org : null,
      auth,
      username: typeof v.username === 'string' ? v.username : null,
    };
  } catch {
    return null;
  }
}
