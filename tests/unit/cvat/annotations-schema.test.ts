// The annotation file check (CVAT's LabeledDataRequest, schema.yml) accepts every annotation
// answer CVAT 2.73 recorded (fixtures/annotations.json) and names the first bad field.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { labeledDataSchema } from '../../../main/cvat/task-api-schemas.js';
import { parseAnnotationsFile } from '../../../main/service/annotations.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixture = resolve(repoRoot, '..', 'shared', 'cvat', 'fixtures', '2.73.0', 'annotations.json');

describe('annotation file schema', () => {
  it("accepts every job and task answer of CVAT's fixtures", () => {
    const all = JSON.parse(readFileSync(fixture, 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    let n = 0;
    for (const [kind, byId] of Object.entries(all)) {
      for (const [id, data] of Object.entries(byId)) {
        const r = labeledDataSchema.safeParse(data);
        expect(
          r.success,
          `${kind} ${id}: ${r.success ? '' : JSON.stringify(r.error.issues[0])}`,
        ).toBe(true);
        n++;
      }
    }
    expect(n).toBeGreaterThan(10);
  });

  it('names the offending field of a bad file, before anything is sent', () => {
    expect(() =>
      parseAnnotationsFile(
        JSON.stringify({
          shapes: [
            { frame: 0, label_id: 1, type: 'rectangle', points: [1] },
            { frame: 0, label_id: 1, type: 'box' },
          ],
        }),
        'pre.json',
      ),
    ).toThrow(/pre\.json: shapes\[1\]\.type/);
    expect(() => parseAnnotationsFile('{"shapes": [', 'broken.json')).toThrow(
      /broken\.json is not JSON/,
    );
    expect(() => parseAnnotationsFile(JSON.stringify({ boxes: [] }), 'x.json')).toThrow(/boxes/);
    const ok = parseAnnotationsFile(
      JSON.stringify({ tags: [{ frame: 2, label_id: 3 }] }),
      'ok.json',
    );
    expect(ok.tags).toEqual([{ frame: 2, label_id: 3 }]);
  });
});
