import { describe, expect, it } from 'vitest';
import { dispositionFilename } from '../../../main/cvat/content-disposition.js';

describe('dispositionFilename', () => {
  it('reads a quoted filename with spaces', () => {
    expect(
      dispositionFilename(
        'attachment; filename="task_12_dataset_2026_08_20_09_14_55_coco 1.0.zip"',
      ),
    ).toBe('task_12_dataset_2026_08_20_09_14_55_coco 1.0.zip');
  });

  it('reads an unquoted token', () => {
    expect(dispositionFilename('attachment; filename=backup.zip')).toBe('backup.zip');
  });

  it('prefers filename* (RFC 5987) in either order', () => {
    expect(
      dispositionFilename(
        `attachment; filename="task_1_backup.zip"; filename*=UTF-8''task_1_%C3%A9t%C3%A9_backup.zip`,
      ),
    ).toBe('task_1_été_backup.zip');
    expect(
      dispositionFilename(
        `attachment; filename*=utf-8'en'%E2%82%AC%20rates.zip; filename="EUR rates.zip"`,
      ),
    ).toBe('€ rates.zip');
  });

  it('decodes ISO-8859-1 extended values', () => {
    expect(dispositionFilename(`attachment; filename*=iso-8859-1''caf%E9.zip`)).toBe('café.zip');
  });

  it('falls back to filename when filename* is malformed', () => {
    expect(dispositionFilename(`attachment; filename*=UTF-8''%E2%82; filename="plain.zip"`)).toBe(
      'plain.zip',
    );
  });

  it('handles escapes and separators inside quotes', () => {
    expect(dispositionFilename('attachment; filename="a \\"quoted\\"; name.zip"; size=10')).toBe(
      'a "quoted"; name.zip',
    );
  });

  it('returns the raw name, unsanitised', () => {
    expect(dispositionFilename('attachment; filename="../../etc/passwd"')).toBe('../../etc/passwd');
  });

  it('is case-insensitive in parameter names and null without a name', () => {
    expect(dispositionFilename('Attachment; FILENAME="X.zip"')).toBe('X.zip');
    expect(dispositionFilename('attachment')).toBeNull();
    expect(dispositionFilename('inline; filename=""')).toBeNull();
    expect(dispositionFilename(null)).toBeNull();
  });
});
