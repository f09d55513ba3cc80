// The FileSystem port in memory, for tests: a POSIX tree of directories, files (hard links share
// one node) and symbolic links, failing where Linux fails and with the same codes (ENOENT, EEXIST,
// ENOTDIR, EISDIR, ENOTEMPTY, ELOOP, EBADF, ENOSPC). Besides the port it can be seeded
// (writeFile, symlink, setMtime) and made to fail on chosen operations (failWith), for the
// failures a test running as root cannot provoke on a real disk. The contract test in
// tests/unit/fs holds it to the Node adapter's behaviour.
import { Readable } from 'node:stream';
import type {
  DirEntry,
  FileHandle,
  FileStats,
  FileSystem,
  OpenMode,
  ReadStreamOptions,
  WatchHandle,
} from './file-system.js';
import type { DirNode, FileNode, Node } from './memory-tree.js';
import { MemoryTree, entryOf, fsError, statsOf } from './memory-tree.js';

/** An operation a fault can be injected into (the port's method names). */
export type MemoryOp = keyof FileSystem;

export interface MemoryFileSystemOptions {
  /** Source of mtimes; defaults to the wall clock. */
  now?: () => number;
  /** Bytes the disk holds; writes beyond it fail with ENOSPC. Default: unlimited. */
  capacityBytes?: number;
}

const STREAM_CHUNK = 64 * 1024;

export class MemoryFileSystem implements FileSystem {
  private readonly tree: MemoryTree;
  private fault: ((op: MemoryOp, path: string) => string | null | undefined) | null = null;

  constructor(options: MemoryFileSystemOptions = {}) {
    this.tree = new MemoryTree(
      options.now ?? (() => Date.now()),
      options.capacityBytes ?? Number.POSITIVE_INFINITY,
    );
  }

  // ---- seeding and fault injection (not part of the port) ----

  /** Creates the file (and its parent directories) with these bytes. */
  writeFile(path: string, content: string | Uint8Array, mtimeMs?: number): void {
    const data = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    const { parent, name } = this.tree.parentOf(path, 'open', true);
    const existing = parent.entries.get(name);
    if (existing && existing.kind !== 'file') throw fsError('EISDIR', 'open', path);
    const node = existing ?? this.tree.newFile();
    this.tree.reserve(data.byteLength - (existing?.size ?? 0), path);
    node.data = data.slice();
    node.size = data.byteLength;
    node.mtimeMs = mtimeMs ?? this.tree.now();
    if (!existing) this.tree.addEntry(parent, name, node);
    else this.tree.notify(parent);
  }

  /** The file's bytes (following links). */
  readFile(path: string): Uint8Array {
    const node = this.tree.resolve(path, true, 'open');
    if (node.kind !== 'file') throw fsError('EISDIR', 'read', path);
    return node.data.slice(0, node.size);
  }

  symlink(target: string, path: string): void {
    const { parent, name } = this.tree.parentOf(path, 'symlink', false);
    if (parent.entries.has(name)) throw fsError('EEXIST', 'symlink', path);
    this.tree.addEntry(parent, name, {
      kind: 'symlink',
      target,
      ino: this.tree.nextIno++,
      mtimeMs: this.tree.now(),
    });
  }

  setMtime(path: string, mtimeMs: number): void {
    this.tree.resolve(path, true, 'utime').mtimeMs = mtimeMs;
  }

  /** From now on, `decide` may name an error code an operation on a path fails with. */
  failWith(decide: ((op: MemoryOp, path: string) => string | null | undefined) | null): void {
    this.fault = decide;
  }

  // ---- the port ----

  async stat(path: string): Promise<FileStats> {
    this.check('stat', path);
    return statsOf(this.tree.resolve(path, true, 'stat'));
  }

  async lstat(path: string): Promise<FileStats> {
    this.check('lstat', path);
    return statsOf(this.tree.resolve(path, false, 'lstat'));
  }

  async readdir(path: string): Promise<DirEntry[]> {
    this.check('readdir', path);
    const dir = this.tree.dirAt(path, 'scandir');
    return [...dir.entries].map(([name, node]) => entryOf(name, node));
  }

  async realpath(path: string): Promise<string> {
    this.check('realpath', path);
    return this.tree.walk(path, true, 'realpath').real;
  }

  async readText(path: string): Promise<string> {
    this.check('readText', path);
    return new TextDecoder().decode(this.readFile(path));
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    this.check('open', path);
    let node: Node;
    let parent: DirNode | null = null;
    if (mode === 'read') {
      node = this.tree.resolve(path, true, 'open');
    } else {
      const found = this.tree.walk(path, true, 'open', true);
      parent = found.parent;
      const name = found.name;
      const existing = found.node;
      if (existing && mode === 'create-new') throw fsError('EEXIST', 'open', path);
      if (existing?.kind === 'dir') throw fsError('EISDIR', 'open', path);
      if (existing) node = existing;
      else {
        node = this.tree.newFile();
        this.tree.addEntry(parent, name, node);
      }
      if (mode === 'truncate') this.tree.resize(node as FileNode, 0, path);
    }
    return this.tree.handleOf(node, mode, path, parent);
  }

  readStream(path: string, options?: ReadStreamOptions): Readable {
    const start = options?.start ?? 0;
    const end = options?.end;
    const chunkBytes = options?.chunkBytes ?? STREAM_CHUNK;
    const open = (): Promise<FileHandle> => this.open(path, 'read');
    return Readable.from(
      (async function* () {
        const fh = await open();
        try {
          let position = start;
          for (;;) {
            const want = Math.min(chunkBytes, (end ?? Number.MAX_SAFE_INTEGER) - position);
            if (want <= 0) return;
            const buf = Buffer.alloc(want);
            const n = await fh.read(buf, 0, want, position);
            if (n === 0) return;
            position += n;
            yield buf.subarray(0, n);
          }
        } finally {
          await fh.close();
        }
      })(),
      { objectMode: false },
    );
  }

  async mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
    this.check('mkdir', path);
    if (!options?.recursive) {
      const { parent, name, node } = this.tree.walk(path, false, 'mkdir', true);
      if (node) throw fsError('EEXIST', 'mkdir', path);
      this.tree.addEntry(parent, name, this.tree.newDir());
      return;
    }
    let dir = this.tree.root;
    const parts = this.tree.partsOf(path);
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i] as string;
      const here = '/' + parts.slice(0, i + 1).join('/');
      let next = dir.entries.get(name);
      if (next?.kind === 'symlink') next = this.tree.resolve(here, true, 'mkdir');
      if (!next) {
        next = this.tree.newDir();
        this.tree.addEntry(dir, name, next);
      } else if (next.kind !== 'dir') {
        throw fsError(i === parts.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', path);
      }
      dir = next;
    }
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', from);
    const src = this.tree.walk(from, false, 'rename');
    const dst = this.tree.walk(to, false, 'rename', true);
    const node = src.node as Node;
    if (dst.node === node) return;
    if (node.kind === 'dir' && this.tree.isAncestor(node, dst.parent))
      throw fsError('EINVAL', 'rename', from);
    if (dst.node?.kind === 'dir') {
      if (node.kind !== 'dir') throw fsError('EISDIR', 'rename', to);
      if (dst.node.entries.size > 0) throw fsError('ENOTEMPTY', 'rename', to);
    } else if (dst.node && node.kind === 'dir') {
      throw fsError('ENOTDIR', 'rename', to);
    }
    this.tree.removeEntry(src.parent, src.name);
    if (dst.node) this.tree.removeEntry(dst.parent, dst.name);
    this.tree.addEntry(dst.parent, dst.name, node);
  }

  async link(existing: string, to: string): Promise<void> {
    this.check('link', existing);
    const node = this.tree.walk(existing, false, 'link').node as Node;
    if (node.kind === 'dir') throw fsError('EPERM', 'link', existing);
    const dst = this.tree.walk(to, false, 'link', true);
    if (dst.node) throw fsError('EEXIST', 'link', to);
    this.tree.addEntry(dst.parent, dst.name, node);
  }

  async unlink(path: string): Promise<void> {
    this.check('unlink', path);
    const { parent, name, node } = this.tree.walk(path, false, 'unlink');
    if (node?.kind === 'dir') throw fsError('EISDIR', 'unlink', path);
    this.tree.removeEntry(parent, name);
  }

  async truncate(path: string, length: number): Promise<void> {
    this.check('truncate', path);
    const { node, parent } = this.tree.walk(path, true, 'open');
    if (node?.kind !== 'file') throw fsError('EISDIR', 'open', path);
    this.tree.resize(node, length, path);
    node.mtimeMs = this.tree.now();
    this.tree.notify(parent);
  }

  async removeTree(path: string): Promise<void> {
    this.check('removeTree', path);
    let found;
    try {
      found = this.tree.walk(path, false, 'rm');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (found.node === this.tree.root) throw fsError('EPERM', 'rm', path);
    this.tree.removeEntry(found.parent, found.name);
  }

  async syncDir(path: string): Promise<void> {
    this.check('syncDir', path);
  }

  async freeBytes(path: string): Promise<number | null> {
    this.check('freeBytes', path);
    this.tree.resolve(path, true, 'statfs');
    return Number.isFinite(this.tree.capacity) ? this.tree.capacity - this.tree.used() : null;
  }

  watch(path: string, onChange: () => void): WatchHandle {
    this.check('watch', path);
    const dir = this.tree.dirAt(path, 'watch');
    // Events arrive after the change, as the OS delivers them: never inside the caller's call.
    const listener = (): void => void Promise.resolve().then(onChange);
    dir.watchers.add(listener);
    return {
      on: () => undefined,
      close: () => dir.watchers.delete(listener),
    };
  }

  private check(op: MemoryOp, path: string): void {
    const code = this.fault?.(op, path);
    if (code) throw fsError(code, op, path);
  }
}
