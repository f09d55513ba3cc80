// The in-memory tree behind MemoryFileSystem: directories, files (hard links share one node)
// and symbolic links, path walking as Linux does it (links followed on the way, ELOOP after
// 40 hops), the disk's capacity and the file handles. Errors carry Node's codes.
import { posix } from 'node:path';
import type { DirEntry, FileHandle, FileStats, OpenMode } from './file-system.js';

export interface Meta {
  ino: number;
  mtimeMs: number;
}
export interface FileNode extends Meta {
  kind: 'file';
  data: Uint8Array;
  size: number;
}
export interface DirNode extends Meta {
  kind: 'dir';
  entries: Map<string, Node>;
  watchers: Set<() => void>;
}
export interface LinkNode extends Meta {
  kind: 'symlink';
  target: string;
}
export type Node = FileNode | DirNode | LinkNode;

const MAX_LINK_HOPS = 40;

export function fsError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

export function statsOf(node: Node): FileStats {
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

export function entryOf(name: string, node: Node): DirEntry {
  return {
    name,
    isFile: () => node.kind === 'file',
    isDirectory: () => node.kind === 'dir',
    isSymbolicLink: () => node.kind === 'symlink',
  };
}

export class MemoryTree {
  nextIno = 1;
  readonly root: DirNode;

  constructor(
    readonly now: () => number,
    readonly capacity: number,
  ) {
    this.root = this.newDir();
  }

  newFile(): FileNode {
    return {
      kind: 'file',
      data: new Uint8Array(0),
      size: 0,
      ino: this.nextIno++,
      mtimeMs: this.now(),
    };
  }

  newDir(): DirNode {
    const now = this.now();
    return {
      kind: 'dir',
      entries: new Map(),
      watchers: new Set(),
      ino: this.nextIno++,
      mtimeMs: now,
    };
  }

  addEntry(dir: DirNode, name: string, node: Node): void {
    dir.entries.set(name, node);
    this.touched(dir);
  }

  removeEntry(dir: DirNode, name: string): void {
    dir.entries.delete(name);
    this.touched(dir);
  }

  touched(dir: DirNode): void {
    dir.mtimeMs = this.now();
    this.notify(dir);
  }

  /** What inotify reports on a directory: its entries changed, or one of its files was written. */
  notify(dir: DirNode): void {
    for (const w of dir.watchers) w();
  }

  partsOf(path: string): string[] {
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
  walk(
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

  resolve(path: string, follow: boolean, syscall: string): Node {
    return this.walk(path, follow, syscall).node as Node;
  }

  dirAt(path: string, syscall: string): DirNode {
    const node = this.resolve(path, true, syscall);
    if (node.kind !== 'dir') throw fsError('ENOTDIR', syscall, path);
    return node;
  }

  /** For writeFile: the parent directory, created as needed. */
  parentOf(path: string, syscall: string, create: boolean): { parent: DirNode; name: string } {
    const dir = posix.dirname(posix.normalize(path));
    if (create) void this.mkdirSync(dir);
    const found = this.walk(path, true, syscall, true);
    return { parent: found.parent, name: found.name };
  }

  mkdirSync(path: string): void {
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

  isAncestor(node: DirNode, of: DirNode): boolean {
    if (node === of) return true;
    for (const child of node.entries.values())
      if (child.kind === 'dir' && this.isAncestor(child, of)) return true;
    return false;
  }

  used(): number {
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

  reserve(growth: number, path: string): void {
    if (growth > 0 && Number.isFinite(this.capacity) && this.used() + growth > this.capacity)
      throw fsError('ENOSPC', 'write', path);
  }

  resize(node: FileNode, size: number, path: string): void {
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

  handleOf(node: Node, mode: OpenMode, path: string, parent: DirNode | null): FileHandle {
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
