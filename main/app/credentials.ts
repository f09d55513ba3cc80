// Credentials in the OS keychain through Electron's safeStorage: the secret is encrypted with a
// key the OS keeps (Keychain, DPAPI, libsecret/kwallet) and the ciphertext sits in userData.
// Linux's 'basic_text' backend encrypts with a hard-coded password, which protects nothing, so
// there the token lives in memory only and is asked for at each start.
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SafeStorage } from 'electron';
import { MemoryCredentialStore } from '../service/credential-stores.js';
import type { CredentialStore, StoredCredentials } from '../service/host.js';

/** The parts of safeStorage we use; the async API is preferred and may be missing. */
export type SafeStorageLike = Pick<
  SafeStorage,
  'isEncryptionAvailable' | 'encryptString' | 'decryptString'
> &
  Partial<
    Pick<
      SafeStorage,
      | 'isAsyncEncryptionAvailable'
      | 'encryptStringAsync'
      | 'decryptStringAsync'
      | 'getSelectedStorageBackend'
    >
  >;

export const NO_KEYRING_NOTICE =
  'CVAT Sync will ask for the token each start because no keyring (gnome-keyring/kwallet) is available.';
export const NO_ENCRYPTION_NOTICE =
  'CVAT Sync will ask for the token each start because the system keychain is not available.';

function isStoredCredentials(v: unknown): v is StoredCredentials {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  const auth = c.auth as Record<string, unknown> | null | undefined;
  return (
    typeof c.server === 'string' &&
    (c.org === null || typeof c.org === 'string') &&
    (c.username === null || typeof c.username === 'string') &&
    typeof auth === 'object' &&
    auth !== null &&
    ((auth.kind === 'token' && typeof auth.token === 'string') ||
      (auth.kind === 'key' && typeof auth.key === 'string') ||
      (auth.kind === 'basic' &&
        typeof auth.username === 'string' &&
        typeof auth.password === 'string'))
  );
}

/** The keychain-backed file's name in the data folder (the CLI's plain profile is credentials.json). */
export const KEYCHAIN_CREDENTIALS_FILE = 'credentials.keychain';

/** Encrypted with safeStorage into `file` (owner-only, replaced atomically). */
export class SafeStorageCredentialStore implements CredentialStore {
  readonly kind = 'keychain' as const;

  constructor(
    private readonly safeStorage: SafeStorageLike,
    private readonly file: string,
  ) {}

  async load(): Promise<StoredCredentials | null> {
    let encrypted: Buffer;
    try {
      encrypted = await readFile(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    let text: string;
    let reEncrypt: boolean;
    let value: unknown;
    try {
      ({ text, reEncrypt } = await this.decrypt(encrypted));
      value = JSON.parse(text);
    } catch {
      // A key the keychain no longer has (another user, a reset keyring): sign in again.
      return null;
    }
    if (!isStoredCredentials(value)) return null;
    if (reEncrypt) await this.save(value);
    return value;
  }

  async save(credentials: StoredCredentials): Promise<void> {
    const encrypted = await this.encrypt(JSON.stringify(credentials));
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    // A .tmp left by a crash keeps its old mode when written over (the mode applies only to a new
    // file): remove it, create it afresh, and set the mode whatever the umask.
    await rm(tmp, { force: true });
    await writeFile(tmp, encrypted, { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }

  private async encrypt(text: string): Promise<Buffer> {
    if (this.safeStorage.encryptStringAsync) return this.safeStorage.encryptStringAsync(text);
    return this.safeStorage.encryptString(text);
  }

  private async decrypt(encrypted: Buffer): Promise<{ text: string; reEncrypt: boolean }> {
    if (this.safeStorage.decryptStringAsync) {
      const r = await this.safeStorage.decryptStringAsync(encrypted);
      return { text: r.result, reEncrypt: r.shouldReEncrypt };
    }
    return { text: this.safeStorage.decryptString(encrypted), reEncrypt: false };
  }
}

export interface CredentialStoreChoice {
  store: CredentialStore;
  /** Why credentials are not kept, to tell the user; null when they are. */
  notice: string | null;
}

/** Picks the keychain store when the OS really protects the key, memory otherwise. Call after app 'ready'. */
export async function chooseCredentialStore(
  safeStorage: SafeStorageLike,
  file: string,
  platform: NodeJS.Platform,
): Promise<CredentialStoreChoice> {
  if (platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
    return { store: new MemoryCredentialStore(), notice: NO_KEYRING_NOTICE };
  }
  const available = safeStorage.isAsyncEncryptionAvailable
    ? await safeStorage.isAsyncEncryptionAvailable()
    : safeStorage.isEncryptionAvailable();
  if (!available) return { store: new MemoryCredentialStore(), notice: NO_ENCRYPTION_NOTICE };
  // The backend is only known once the async encryptor has initialised; check again.
  if (platform === 'linux' && safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
    return { store: new MemoryCredentialStore(), notice: NO_KEYRING_NOTICE };
  }
  return { store: new SafeStorageCredentialStore(safeStorage, file), notice: null };
}
