// The FileSystem port in memory, for tests: a POSIX tree of directories, files (hard links share
// one node) and symbolic links, failing where Linux fails and with the same codes (ENOENT, EEXIST,
// ENOTDIR, EISDIR, ENOTEMPTY, ELOOP, EBADF, ENOSPC). Besides the port it can be seeded
// (writeFile, symlink, setMtime) and made to fail on chosen operations (failWith), for the
// failures a test running as root cannot provoke on a real disk. The contract test in
// tests/unit/fs holds it to the Node adapter's behaviour.
import { posix } from 'node:path';
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

interface Meta {
  ino: number;
  mtimeMs: number;
}
interface FileNode extends Meta {
  kind: 'file';
  data: Uint8Array;
  size: number;
}
interface DirNode extends Meta {
  kind: 'dir';
  entries: Map<string, Node>;
  watchers: Set<() => void>;
}
interface LinkNode extends Meta {
  kind: 'symlink';
  target: string;
}
type Node = FileNode | DirNode | LinkNode;

/** An operation a fault can be injected into (the port's method names). */
export type MemoryOp = keyof FileSystem;

export interface MemoryFileSystemOptions {
  /** Source of mtimes; defaults to the wall clock. */
  now?: () => number;
  /** Bytes the disk holds; writes beyond it fail with ENOSPC. Default: unlimited. */
  capacityBytes?: number;
}

const MAX_LINK_HOPS = 40;
const STREAM_CHUNK = 64 * 1024;

function fsError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

function statsOf(node: Node): FileStats {
  return {
    size: node.kind === 'file' ? node.size : node.kind === 'symlink' ? node.target.length : 4096,
    mtimeMs: node.mtimeMs,
    dev: 1,
    ino: node.ino,
    isFile: () => node.kind === 'file',
    isDirectory: () => node.kind === 'dir',
    isSymbolicLink: () => node.kind === 'symlink',
  };
}

function entryOf(name: string, node: Node): DirEntry {
  return {
    name,
    isFile: () => node.kind === 'file',
    isDirectory: () => node.kind === 'dir',
    isSymbolicLink: () => node.kind === 'symlink',
  };
}

export class MemoryFileSystem implements FileSystem {
  private nextIno = 1;
  private readonly root: DirNode;
  private readonly now: () => number;
  private readonly capacity: number;
  private fault: ((op: MemoryOp, path: string) => string | null | undefined) | null = null;

  constructor(options: MemoryFileSystemOptions = {}) {
    this.now = options.now ?? (() => Date.now());
    this.capacity = options.capacityBytes ?? Number.POSITIVE_INFINITY;
    this.root = this.newDir();
  }

  // ---- seeding and fault injection (not part of the port) ----

  /** Creates the file (and its parent directories) with these bytes. */
  writeFile(path: string, content: string | Uint8Array, mtimeMs?: number): void {
    const data = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    const { parent, name } = this.parentOf(path, 'open', true);
    const existing = parent.entries.get(name);
    if (existing && existing.kind !== 'file') throw fsError('EISDIR', 'open', path);
    const node = existing ?? this.newFile();
    this.reserve(data.byteLength - (existing?.size ?? 0), path);
    node.data = data.slice();
    node.size = data.byteLength;
    node.mtimeMs = mtimeMs ?? this.now();
    if (!existing) this.addEntry(parent, name, node);
    else this.notify(parent);
  }

  /** The file's bytes (following links). */
  readFile(path: string): Uint8Array {
    const node = this.resolve(path, true, 'open');
    if (node.kind !== 'file') throw fsError('EISDIR', 'read', path);
    return node.data.slice(0, node.size);
  }

  symlink(target: string, path: string): void {
    const { parent, name } = this.parentOf(path, 'symlink', false);
    if (parent.entries.has(name)) throw fsError('EEXIST', 'symlink', path);
    this.addEntry(parent, name, {
      kind: 'symlink',
      target,
      ino: this.nextIno++,
      mtimeMs: this.now(),
    });
  }

  setMtime(path: string, mtimeMs: number): void {
    this.resolve(path, true, 'utime').mtimeMs = mtimeMs;
  }

  /** From now on, `decide` may name an error code an operation on a path fails with. */
  failWith(decide: ((op: MemoryOp, path: string) => string | null | undefined) | null): void {
    this.fault = decide;
  }

  // ---- the port ----

  async stat(path: string): Promise<FileStats> {
    this.check('stat', path);
    return statsOf(this.resolve(path, true, 'stat'));
  }

  async lstat(path: string): Promise<FileStats> {
    this.check('lstat', path);
    return statsOf(this.resolve(path, false, 'lstat'));
  }

  async readdir(path: string): Promise<DirEntry[]> {
    this.check('readdir', path);
    const dir = this.dirAt(path, 'scandir');
    return [...dir.entries].map(([name, node]) => entryOf(name, node));
  }

  async realpath(path: string): Promise<string> {
    this.check('realpath', path);
    return this.walk(path, true, 'realpath').real;
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
      node = this.resolve(path, true, 'open');
    } else {
      const found = this.walk(path, true, 'open', true);
      parent = found.parent;
      const name = found.name;
      const existing = found.node;
      if (existing && mode === 'create-new') throw fsError('EEXIST', 'open', path);
      if (existing?.kind === 'dir') throw fsError('EISDIR', 'open', path);
      if (existing) node = existing;
      else {
        node = this.newFile();
        this.addEntry(parent, name, node);
      }
      if (mode === 'truncate') this.resize(node as FileNode, 0, path);
    }
    return this.handleOf(node, mode, path, parent);
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
      const { parent, name, node } = this.walk(path, false, 'mkdir', true);
      if (node) throw fsError('EEXIST', 'mkdir', path);
      this.addEntry(parent, name, this.newDir());
      return;
    }
    let dir = this.root;
    const parts = this.partsOf(path);
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i] as string;
      const here = '/' + parts.slice(0, i + 1).join('/');
      let next = dir.entries.get(name);
      if (next?.kind === 'symlink') next = this.resolve(here, true, 'mkdir');
      if (!next) {
        next = this.newDir();
        this.addEntry(dir, name, next);
      } else if (next.kind !== 'dir') {
        throw fsError(i === parts.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', path);
      }
      dir = next;
    }
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', from);
    const src = this.walk(from, false, 'rename');
    const dst = this.walk(to, false, 'rename', true);
    const node = src.node as Node;
    if (dst.node === node) return;
    if (node.kind === 'dir' && this.isAncestor(node, dst.parent))
      throw fsError('EINVAL', 'rename', from);
    if (dst.node?.kind === 'dir') {
      if (node.kind !== 'dir') throw fsError('EISDIR', 'rename', to);
      if (dst.node.entries.size > 0) throw fsError('ENOTEMPTY', 'rename', to);
    } else if (dst.node && node.kind === 'dir') {
      throw fsError('ENOTDIR', 'rename', to);
    }
    this.removeEntry(src.parent, src.name);
    if (dst.node) this.removeEntry(dst.parent, dst.name);
    this.addEntry(dst.parent, dst.name, node);
  }

  async link(existing: string, to: string): Promise<void> {
    this.check('link', existing);
    const node = this.walk(existing, false, 'link').node as Node;
    if (node.kind === 'dir') throw fsError('EPERM', 'link', existing);
    const dst = this.walk(to, false, 'link', true);
    if (dst.node) throw fsError('EEXIST', 'link', to);
    this.addEntry(dst.parent, dst.name, node);
  }

  async unlink(path: string): Promise<void> {
    this.check('unlink', path);
    const { parent, name, node } = this.walk(path, false, 'unlink');
    if (node?.kind === 'dir') throw fsError('EISDIR', 'unlink', path);
    this.removeEntry(parent, name);
  }

  async truncate(path: string, length: number): Promise<void> {
    this.check('truncate', path);
    const { node, parent } = this.walk(path, true, 'open');
    if (node?.kind !== 'file') throw fsError('EISDIR', 'open', path);
    this.resize(node, length, path);
    node.mtimeMs = this.now();
    this.notify(parent);
  }

  async removeTree(path: string): Promise<void> {
    this.check('removeTree', path);
    let found;
    try {
      found = this.walk(path, false, 'rm');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (found.node === this.root) throw fsError('EPERM', 'rm', path);
    this.removeEntry(found.parent, found.name);
  }

  async syncDir(path: string): Promise<void> {
    this.check('syncDir', path);
  }

  async freeBytes(path: string): Promise<number | null> {
    this.check('freeBytes', path);
    this.resolve(path, true, 'statfs');
    return Number.isFinite(this.capacity) ? this.capacity - this.used() : null;
  }

  watch(path: string, onChange: () => void): WatchHandle {
    this.check('watch', path);
    const dir = this.dirAt(path, 'watch');
    // Events arrive after the change, as the OS delivers them: never inside the caller's call.
    const listener = (): void => void Promise.resolve().then(onChange);
    dir.watchers.add(listener);
    return {
      on: () => undefined,
      close: () => dir.watchers.delete(listener),
    };
  }

  // ---- the tree ----

  private check(op: MemoryOp, path: string): void {
    const code = this.fault?.(op, path);
    if (code) throw fsError(code, op, path);
  }

  private newFile(): FileNode {
    return {
      kind: 'file',
      data: new Uint8Array(0),
      size: 0,
      ino: this.nextIno++,
      mtimeMs: this.now(),
    };
  }

  private newDir(): DirNode {
    const now = this.now();
    return {
      kind: 'dir',
      entries: new Map(),
      watchers: new Set(),
      ino: this.nextIno++,
      mtimeMs: now,
    };
  }

  private addEntry(dir: DirNode, name: string, node: Node): void {
    dir.entries.set(name, node);
    this.touched(dir);
  }

  private removeEntry(dir: DirNode, name: string): void {
    dir.entries.delete(name);
    this.touched(dir);
  }

  private touched(dir: DirNode): void {
    dir.mtimeMs = this.now();
    this.notify(dir);
  }

  /** What inotify reports on a directory: its entries changed, or one of its files was written. */
  private notify(dir: DirNode): void {
    for (const w of dir.watchers) w();
  }

  private partsOf(path: string): string[] {
    if (!posix.isAbsolute(path)) throw fsError('EINVAL', 'resolve', path);
    return posix
      .normalize(path)
      .split('/')
      .filter((p) => p !== '');
  }

  /**
   * Walks to `path`: its parent directory, its name there, and the node (undefined only when
   * `mayBeMissing`). Symbolic links on the way are followed; the last one only with `follow`.
   */
  private walk(
    path: string,
    follow: boolean,
    syscall: string,
    mayBeMissing = false,
  ): { parent: DirNode; name: string; node: Node | undefined; real: string } {
    let parts = this.partsOf(path);
    let hops = 0;
    for (;;) {
      let dir = this.root;
      let real: string[] = [];
      let restart: string[] | null = null;
      for (let i = 0; i < parts.length; i++) {
        const name = parts[i] as string;
        const last = i === parts.length - 1;
        const node = dir.entries.get(name);
        if (!node) {
          if (last && mayBeMissing)
            return { parent: dir, name, node: undefined, real: '/' + [...real, name].join('/') };
          throw fsError('ENOENT', syscall, path);
        }
        if (node.kind === 'symlink' && (!last || follow)) {
          if (++hops > MAX_LINK_HOPS) throw fsError('ELOOP', syscall, path);
          const base = '/' + real.join('/');
          const target = posix.resolve(base, node.target);
          restart = [...this.partsOf(target), ...parts.slice(i + 1)];
          break;
        }
        if (last) return { parent: dir, name, node, real: '/' + [...real, name].join('/') };
        if (node.kind !== 'dir') throw fsError('ENOTDIR', syscall, path);
        dir = node;
        real = [...real, name];
      }
      if (restart === null) return { parent: this.root, name: '', node: this.root, real: '/' };
      parts = restart;
      if (parts.length === 0) return { parent: this.root, name: '', node: this.root, real: '/' };
    }
  }

  private resolve(path: string, follow: boolean, syscall: string): Node {
    return this.walk(path, follow, syscall).node as Node;
  }

  private dirAt(path: string, syscall: string): DirNode {
    const node = this.resolve(path, true, syscall);
    if (node.kind !== 'dir') throw fsError('ENOTDIR', syscall, path);
    return node;
  }

  /** For writeFile: the parent directory, created as needed. */
  private parentOf(
    path: string,
    syscall: string,
    create: boolean,
  ): { parent: DirNode; name: string } {
    const dir = posix.dirname(posix.normalize(path));
    if (create) void this.mkdirSync(dir);
    const found = this.walk(path, true, syscall, true);
    return { parent: found.parent, name: found.name };
  }

  private mkdirSync(path: string): void {
    let dir = this.root;
    for (const name of this.partsOf(path)) {
      let next = dir.entries.get(name);
      if (!next) {
        next = this.newDir();
        this.addEntry(dir, name, next);
      }
      if (next.kind !== 'dir') throw fsError('ENOTDIR', 'mkdir', path);
      dir = next;
    }
  }

  private isAncestor(node: DirNode, of: DirNode): boolean {
    if (node === of) return true;
    for (const child of node.entries.values())
      if (child.kind === 'dir' && this.isAncestor(child, of)) return true;
    return false;
  }

  private used(): number {
    const seen = new Set<Node>();
    const sum = (dir: DirNode): number => {
      let n = 0;
      for (const child of dir.entries.values()) {
        if (seen.has(child)) continue;
        seen.add(child);
        if (child.kind === 'file') n += child.size;
        else if (child.kind === 'dir') n += sum(child);
      }
      return n;
    };
    return sum(this.root);
  }

  private reserve(growth: number, path: string): void {
    if (growth > 0 && Number.isFinite(this.capacity) && this.used() + growth > this.capacity)
      throw fsError('ENOSPC', 'write', path);
  }

  private resize(node: FileNode, size: number, path: string): void {
    this.reserve(size - node.size, path);
    if (size > node.data.byteLength) {
      const grown = new Uint8Array(Math.max(size, node.data.byteLength * 2));
      grown.set(node.data.subarray(0, node.size));
      node.data = grown;
    } else if (size < node.size) {
      node.data.fill(0, size, node.size);
    }
    node.size = size;
  }

  private handleOf(node: Node, mode: OpenMode, path: string, parent: DirNode | null): FileHandle {
    let position = 0;
    let closed = false;
    const alive = (syscall: string): void => {
      if (closed) throw fsError('EBADF', syscall, path);
    };
    return {
      read: async (buffer, offset, length, at) => {
        alive('read');
        if (node.kind === 'dir') throw fsError('EISDIR', 'read', path);
        if (mode !== 'read' || node.kind !== 'file') throw fsError('EBADF', 'read', path);
        const from = at ?? position;
        const n = Math.max(0, Math.min(length, node.size - from));
        buffer.set(node.data.subarray(from, from + n), offset);
        if (at === null) position += n;
        return n;
      },
      write: async (data) => {
        alive('write');
        if (mode === 'read' || node.kind !== 'file') throw fsError('EBADF', 'write', path);
        const at = mode === 'append' ? node.size : position;
        if (at + data.byteLength > node.size) this.resize(node, at + data.byteLength, path);
        node.data.set(data, at);
        position = at + data.byteLength;
        node.mtimeMs = this.now();
        if (parent) this.notify(parent);
      },
      sync: async () => alive('fsync'),
      close: async () => {
        alive('close');
        closed = true;
      },
    };
  }
}
