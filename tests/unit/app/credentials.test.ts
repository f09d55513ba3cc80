import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SafeStorageLike } from '../../../main/app/credentials.js';
import {
  NO_ENCRYPTION_NOTICE,
  NO_KEYRING_NOTICE,
  SafeStorageCredentialStore,
  chooseCredentialStore,
} from '../../../main/app/credentials.js';
import type { StoredCredentials } from '../../../main/service/host.js';

const TOKEN = 'pat-0123456789abcdef';
const creds: StoredCredentials = {
  server: 'https://cvat.example.com',
  org: 'lab',
  auth: { kind: 'token', token: TOKEN },
  username: 'alice',
};

/** safeStorage with a reversible scrambling "cipher"; records every use. */
function fakeSafeStorage(
  backend: ReturnType<NonNullable<SafeStorageLike['getSelectedStorageBackend']>>,
  opts: { async?: boolean; available?: boolean; reEncrypt?: boolean } = {},
) {
  const calls: string[] = [];
  const scramble = (b: Buffer): Buffer => Buffer.from(b.map((x) => x ^ 0x5a));
  const s: SafeStorageLike = {
    getSelectedStorageBackend: () => backend,
    isEncryptionAvailable: () => {
      calls.push('isEncryptionAvailable');
      return opts.available ?? true;
    },
    encryptString: (text) => {
      calls.push('encryptString');
      return Buffer.concat([Buffer.from('v10'), scramble(Buffer.from(text))]);
    },
    decryptString: (b) => {
      calls.push('decryptString');
      if (b.subarray(0, 3).toString() !== 'v10')
        throw new Error(
          'Error while decrypting the ciphertext provided to safeStorage.decryptString.',
        );
      return scramble(b.subarray(3)).toString();
    },
  };
  if (opts.async !== false) {
    s.isAsyncEncryptionAvailable = async () => {
      calls.push('isAsyncEncryptionAvailable');
      return opts.available ?? true;
    };
    s.encryptStringAsync = async (text) => {
      calls.push('encryptStringAsync');
      return Buffer.concat([Buffer.from('v11'), scramble(Buffer.from(text))]);
    };
    s.decryptStringAsync = async (b) => {
      calls.push('decryptStringAsync');
      if (!['v10', 'v11'].includes(b.subarray(0, 3).toString())) throw new Error('decrypt failed');
      return {
        result: scramble(b.subarray(3)).toString(),
        shouldReEncrypt: opts.reEncrypt ?? false,
      };
    };
  }
  return { safeStorage: s, calls };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cvat-sync-creds-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('chooseCredentialStore', () => {
  it("refuses Linux's basic_text backend: memory only, with the reason, and never encrypts", async () => {
    const { safeStorage, calls } = fakeSafeStorage('basic_text');
    const file = join(dir, 'credentials.keychain');
    const { store, notice } = await chooseCredentialStore(safeStorage, file, 'linux');
    expect(store.kind).toBe('memory');
    expect(notice).toBe(NO_KEYRING_NOTICE);
    expect(notice).toMatch(
      /ask for the token each start because no keyring \(gnome-keyring\/kwallet\) is available/,
    );
    await store.save(creds);
    expect(await store.load()).toEqual(creds);
    expect(existsSync(file)).toBe(false);
    expect(calls.filter((c) => c.startsWith('encrypt'))).toEqual([]);
  });

  it('notices basic_text when it is only known after the async encryptor started', async () => {
    let ready = false;
    const { safeStorage } = fakeSafeStorage('unknown');
    safeStorage.getSelectedStorageBackend = () => (ready ? 'basic_text' : 'unknown');
    safeStorage.isAsyncEncryptionAvailable = async () => {
      ready = true;
      return true;
    };
    const { store, notice } = await chooseCredentialStore(safeStorage, join(dir, 'c'), 'linux');
    expect(store.kind).toBe('memory');
    expect(notice).toBe(NO_KEYRING_NOTICE);
  });

  it('uses the keychain with a real keyring', async () => {
    for (const backend of ['gnome_libsecret', 'kwallet5', 'kwallet6'] as const) {
      const { safeStorage } = fakeSafeStorage(backend);
      const { store, notice } = await chooseCredentialStore(safeStorage, join(dir, 'c'), 'linux');
      expect(store.kind).toBe('keychain');
      expect(notice).toBeNull();
    }
  });

  it('the Linux backend name does not matter on macOS and Windows', async () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const { safeStorage } = fakeSafeStorage('basic_text');
      expect((await chooseCredentialStore(safeStorage, join(dir, 'c'), platform)).store.kind).toBe(
        'keychain',
      );
    }
  });

  it('falls back to memory when encryption is unavailable, through either API', async () => {
    for (const async of [true, false]) {
      const { safeStorage, calls } = fakeSafeStorage('gnome_libsecret', {
        async,
        available: false,
      });
      const { store, notice } = await chooseCredentialStore(safeStorage, join(dir, 'c'), 'linux');
      expect(store.kind).toBe('memory');
      expect(notice).toBe(NO_ENCRYPTION_NOTICE);
      expect(calls).toEqual([async ? 'isAsyncEncryptionAvailable' : 'isEncryptionAvailable']);
    }
  });
});

describe('SafeStorageCredentialStore', () => {
  it('replaces a stale world-readable .tmp file: the saved file is owner-only', async () => {
    const { safeStorage } = fakeSafeStorage('gnome_libsecret');
    const file = join(dir, 'credentials.keychain');
    // Left by a crash of an older version, created under umask 022.
    writeFileSync(`${file}.tmp`, 'stale', { mode: 0o644 });
    chmodSync(`${file}.tmp`, 0o644);
    const old = process.umask(0o022);
    try {
      await new SafeStorageCredentialStore(safeStorage, file).save(creds);
    } finally {
      process.umask(old);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.tmp`)).toBe(false);
    expect(await new SafeStorageCredentialStore(safeStorage, file).load()).toEqual(creds);
  });

  it('round-trips through the async API; the file holds no plaintext and is owner-only', async () => {
    const { safeStorage, calls } = fakeSafeStorage('gnome_libsecret');
    const file = join(dir, 'sub', 'credentials.keychain');
    const store = new SafeStorageCredentialStore(safeStorage, file);
    expect(await store.load()).toBeNull();
    await store.save(creds);
    const raw = readFileSync(file);
    expect(raw.includes(Buffer.from(TOKEN))).toBe(false);
    expect(raw.includes(Buffer.from('cvat.example.com'))).toBe(false);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await store.load()).toEqual(creds);
    expect(calls).toEqual(['encryptStringAsync', 'decryptStringAsync']);
    await store.clear();
    expect(existsSync(file)).toBe(false);
    expect(await store.load()).toBeNull();
  });

  it('uses the sync API where the async one is missing', async () => {
    const { safeStorage, calls } = fakeSafeStorage('gnome_libsecret', { async: false });
    const store = new SafeStorageCredentialStore(safeStorage, join(dir, 'c'));
    await store.save(creds);
    expect(await store.load()).toEqual(creds);
    expect(calls).toEqual(['encryptString', 'decryptString']);
  });

  it('re-encrypts when the keychain asks for it', async () => {
    const { safeStorage, calls } = fakeSafeStorage('gnome_libsecret', { reEncrypt: true });
    const file = join(dir, 'c');
    writeFileSync(file, safeStorage.encryptString(JSON.stringify(creds)));
    const store = new SafeStorageCredentialStore(safeStorage, file);
    expect(await store.load()).toEqual(creds);
    expect(calls).toEqual(['encryptString', 'decryptStringAsync', 'encryptStringAsync']);
    expect(readFileSync(file).subarray(0, 3).toString()).toBe('v11');
  });

  it('reads an undecryptable or foreign file as "no credentials" and leaves it alone', async () => {
    const { safeStorage } = fakeSafeStorage('gnome_libsecret');
    const file = join(dir, 'c');
    writeFileSync(file, 'garbage');
    const store = new SafeStorageCredentialStore(safeStorage, file);
    expect(await store.load()).toBeNull();
    expect(readFileSync(file, 'utf8')).toBe('garbage');
    writeFileSync(
      file,
      safeStorage.encryptString(JSON.stringify({ server: 'x', auth: { kind: 'token' } })),
    );
    expect(await store.load()).toBeNull();
  });
});
