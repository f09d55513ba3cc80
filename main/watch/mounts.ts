// Which filesystem a folder lives on (Linux: /proc/self/mountinfo). OS change events do not
// reach us from network shares and FUSE mounts, so those folders should poll.
import { sep } from 'node:path';
import type { FileSystem } from '../fs/file-system.js';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
}

const NETWORK = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb',
  'smb2',
  'smb3',
  'smbfs',
  '9p',
  'afs',
  'ceph',
  'glusterfs',
  'davfs',
  'ncpfs',
  'lustre',
  'beegfs',
  'gpfs',
  'sshfs',
  'virtiofs',
  'vboxsf',
  'vmhgfs',
  'prl_fs',
]);

/** Parses mountinfo lines: "36 35 98:0 /mnt1 /mnt/a rw,noatime master:1 - ext3 /dev/root rw". */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const mountPoint = fields[4];
    const fsType = fields[dash + 1];
    if (dash < 0 || mountPoint === undefined || fsType === undefined) continue;
    out.push({
      mountPoint: mountPoint.replace(/\\([0-7]{3})/g, (_m, oct: string) =>
        String.fromCharCode(parseInt(oct, 8)),
      ),
      fsType,
    });
  }
  return out;
}

/** The filesystem type of the mount holding `path` (longest matching mount point wins). */
export function fsTypeOf(path: string, mounts: readonly MountEntry[]): string | null {
  let best: MountEntry | null = null;
  for (const m of mounts) {
    const prefix = m.mountPoint.endsWith(sep) ? m.mountPoint : m.mountPoint + sep;
    if (
      (path === m.mountPoint || path.startsWith(prefix)) &&
      (!best || m.mountPoint.length >= best.mountPoint.length)
    )
      best = m;
  }
  return best?.fsType ?? null;
}

export function isNetworkFs(fsType: string): boolean {
  return NETWORK.has(fsType) || fsType.startsWith('fuse');
}

/** The filesystem type of a folder, or null where it cannot be told (not Linux). */
export async function detectFsType(fs: FileSystem, realPath: string): Promise<string | null> {
  try {
    return fsTypeOf(realPath, parseMountinfo(await fs.readText('/proc/self/mountinfo')));
  } catch (_e) {
    return null;
  }
}
