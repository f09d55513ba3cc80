// The FileSystem contract on the in-memory fake, and what only the fake offers: injected faults
// and a disk that fills up.
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../../main/fs/memory-file-system.js';
import { fileSystemContract } from './file-system-contract.js';

fileSystemContract('memory', async () => {
  const fs = new MemoryFileSystem();
  const root = '/data/tree';
  await fs.mkdir(root, { recursive: true });
  return {
    fs,
    root,
    writeFile: (path, content) => fs.writeFile(path, content),
    symlink: (target, path) => fs.symlink(target, path),
    cleanup: () => undefined,
  };
});

describe('MemoryFileSystem beyond the contract', () => {
  it('fails chosen operations with the code it is given', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFile('/d/locked', 'x');
    fs.failWith((op, path) => (op === 'open' && path.endsWith('locked') ? 'EACCES' : null));
    await expect(fs.open('/d/locked', 'read')).rejects.toMatchObject({ code: 'EACCES' });
    expect((await fs.stat('/d/locked')).size).toBe(1);
    fs.failWith(null);
    await (await fs.open('/d/locked', 'read')).close();
  });

  it('runs out of space like a full disk (ENOSPC), keeping what was written', async () => {
    const fs = new MemoryFileSystem({ capacityBytes: 10 });
    fs.writeFile('/d/a', '123456');
    expect(await fs.freeBytes('/d')).toBe(4);
    const h = await fs.open('/d/b', 'append');
    await h.write(Buffer.from('1234'));
    await expect(h.write(Buffer.from('5'))).rejects.toMatchObject({ code: 'ENOSPC' });
    await h.close();
    expect(fs.readFile('/d/b')).toEqual(new Uint8Array(Buffer.from('1234')));
  });

  it('stamps mtimes from its clock and lets a test set them', async () => {
    let now = 1_000;
    const fs = new MemoryFileSystem({ now: () => now });
    fs.writeFile('/f', 'x');
    expect((await fs.stat('/f')).mtimeMs).toBe(1_000);
    now = 2_000;
    const h = await fs.open('/f', 'append');
    await h.write(Buffer.from('y'));
    await h.close();
    expect((await fs.stat('/f')).mtimeMs).toBe(2_000);
    fs.setMtime('/f', 5);
    expect((await fs.stat('/f')).mtimeMs).toBe(5);
  });
});
