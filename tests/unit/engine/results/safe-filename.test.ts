import { describe, expect, it } from 'vitest';
import {
  MAX_NAME_BYTES,
  collisionName,
  safeFilename,
  splitExtension,
} from '../../../../main/core/safe-filename.js';
import { dispositionFilename } from '../../../../main/cvat/content-disposition.js';

/** The path a server-proposed name takes: header → raw name (client) → safe name (results engine). */
const fromHeader = (header: string, fallback = 'fallback.zip'): string =>
  safeFilename(dispositionFilename(header), fallback);

describe('safeFilename', () => {
  it('keeps an ordinary CVAT name as it is', () => {
    expect(
      fromHeader('attachment; filename="task_12_dataset_2026_08_20_09_14_55_coco 1.0.zip"'),
    ).toBe('task_12_dataset_2026_08_20_09_14_55_coco 1.0.zip');
  });

  it('drops every path part', () => {
    expect(fromHeader('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(fromHeader('attachment; filename="/abs/x.zip"')).toBe('x.zip');
    expect(safeFilename('C:\\x')).toBe('x');
    expect(safeFilename('..\\..\\windows\\system32\\evil.dll')).toBe('evil.dll');
    expect(safeFilename('C:x.zip')).toBe('C_x.zip');
  });

  it('renames Windows device names whatever their case or extension', () => {
    expect(fromHeader('attachment; filename="CON.zip"')).toBe('_CON.zip');
    expect(safeFilename('nul')).toBe('_nul');
    expect(safeFilename('Lpt1.tar.gz')).toBe('_Lpt1.tar.gz');
    expect(safeFilename('com¹.txt')).toBe('_com¹.txt');
    expect(safeFilename('console.zip')).toBe('console.zip');
  });

  it('removes control and bidi characters and replaces reserved ones', () => {
    expect(safeFilename('a\u0000b\u0007c\u001b[31m.zip')).toBe('abc[31m.zip');
    expect(safeFilename('evil\u202Egnp.exe')).toBe('evilgnp.exe');
    expect(safeFilename('a<b>c:d"e|f?g*h.zip')).toBe('a_b_c_d_e_f_g_h.zip');
  });

  it('strips leading dots and trailing dots and spaces', () => {
    expect(safeFilename('..')).toBe('download');
    expect(safeFilename('.hidden.zip')).toBe('hidden.zip');
    expect(safeFilename('name.zip. . ')).toBe('name.zip');
  });

  it('falls back when nothing usable is left', () => {
    expect(safeFilename('', 'task_3_backup.zip')).toBe('task_3_backup.zip');
    expect(safeFilename(null, 'task_3_backup.zip')).toBe('task_3_backup.zip');
    expect(fromHeader('attachment', 'x.zip')).toBe('x.zip');
    expect(fromHeader('attachment; filename=""', 'x.zip')).toBe('x.zip');
    expect(safeFilename('///', '../bad/')).toBe('download');
  });

  it('limits the length in UTF-8 bytes and keeps the extension', () => {
    const long = safeFilename(`${'é'.repeat(300)}.zip`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_NAME_BYTES);
    expect(long.endsWith('.zip')).toBe(true);
    expect(long.startsWith('éé')).toBe(true);
    // A surrogate pair is never cut in half.
    const emoji = safeFilename(`${'😀'.repeat(100)}.zip`);
    expect(emoji).toBe(`${'😀'.repeat(Math.floor((MAX_NAME_BYTES - 4) / 4))}.zip`);
    expect(Buffer.byteLength(safeFilename('x'.repeat(1000)))).toBe(MAX_NAME_BYTES);
  });

  it('decodes a unicode filename* and prefers it over filename', () => {
    expect(
      fromHeader(
        `attachment; filename="task_1_backup.zip"; filename*=UTF-8''t%C3%A2che_%E2%82%AC_%E6%97%A5%E6%9C%AC.zip`,
      ),
    ).toBe('tâche_€_日本.zip');
    expect(fromHeader(`attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd`)).toBe('passwd');
    // NFD input becomes NFC so the same name is the same file on every OS.
    expect(safeFilename('cafe\u0301.zip')).toBe('caf\u00e9.zip');
  });
});

describe('collisionName', () => {
  it('numbers the second and later copies before the extension', () => {
    expect(collisionName('a.zip', 1)).toBe('a.zip');
    expect(collisionName('a.zip', 2)).toBe('a (2).zip');
    expect(collisionName('b.tar.gz', 3)).toBe('b (3).tar.gz');
    expect(collisionName('noext', 2)).toBe('noext (2)');
  });

  it('splits extensions like a user expects', () => {
    expect(splitExtension('x.coco 1.0.zip')).toEqual(['x.coco 1.0', '.zip']);
    expect(splitExtension('.profile')).toEqual(['.profile', '']);
  });
});
