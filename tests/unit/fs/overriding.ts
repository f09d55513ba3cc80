// A FileSystem with some operations replaced, for injecting faults into either adapter (a class
// instance such as MemoryFileSystem cannot simply be spread).
import type { FileSystem } from '../../../main/fs/file-system.js';

export function overriding(fs: FileSystem, over: Partial<FileSystem>): FileSystem {
  return new Proxy(fs, {
    get(target, key) {
      if (key in over) return over[key as keyof FileSystem];
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
