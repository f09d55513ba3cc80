// Every object CVAT itself recorded (fixtures of a real 2.73.0 server) must parse with the
// client's response schemas: the client may not require a key CVAT omits, nor a type CVAT
// does not send.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  accessTokenSchema,
  annotationsSchema,
  cloudStorageSchema,
  invitationSchema,
  jobSchema,
  labelSchema,
  membershipSchema,
  organizationSchema,
  pageSchema,
  parseWith,
  projectSchema,
  taskSchema,
  userSchema,
} from '../../../main/cvat/schemas.js';
import {
  fixtureById,
  fixtureFiles,
  fixtureObjects,
  fixturePage,
} from '../../ground-truth/fixtures.js';

const schemaOf: Record<string, z.ZodType> = {
  'tasks.json': taskSchema,
  'projects.json': projectSchema,
  'jobs.json': jobSchema,
  'labels.json': labelSchema,
  'users.json': userSchema,
  'organizations.json': organizationSchema,
  'memberships.json': membershipSchema,
  'invitations.json': invitationSchema,
  'access_tokens.json': accessTokenSchema,
  'cloudstorages.json': cloudStorageSchema,
  'annotations.json': annotationsSchema,
};
const paginated = Object.keys(schemaOf).filter(
  (f) => f !== 'access_tokens.json' && f !== 'annotations.json',
);

describe('CVAT 2.73.0 fixtures parse with the client schemas', () => {
  it('every fixture file has a schema (a new file cannot go unchecked)', () => {
    expect(fixtureFiles()).toEqual(Object.keys(schemaOf).sort());
  });

  for (const file of Object.keys(schemaOf)) {
    it(`every object in ${file}`, () => {
      const objects = fixtureObjects(file);
      expect(objects.length).toBeGreaterThan(0);
      const failures: string[] = [];
      for (const { where, value } of objects) {
        try {
          parseWith(schemaOf[file]!, value, `parse ${file}`, where);
        } catch (e) {
          failures.push(`${where}: ${(e as Error).message}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }

  for (const file of paginated) {
    it(`${file} as one list answer (pageSchema)`, () => {
      const page = parseWith(pageSchema(schemaOf[file]!), fixturePage(file), 'list', file);
      expect(page.results.length).toBe(page.count);
    });
  }

  it('the media-less task (12) reads as 0 frames and no data', () => {
    const raw = fixtureById('tasks.json', 12);
    expect('size' in raw).toBe(false);
    const t = parseWith(taskSchema, raw, 'get task', 'tasks/12');
    expect(t).toMatchObject({ id: 12, size: 0, data: null, overlap: null, media_type: '' });
  });

  it('a task with media keeps its frame count and image quality', () => {
    const t = parseWith(taskSchema, fixtureById('tasks.json', 2), 'get task', 'tasks/2');
    expect(t).toMatchObject({ size: 23, image_quality: 70, data: 2 });
  });

  it('labels keep attributes, skeleton points and the owner id', () => {
    const labels = fixtureObjects('labels.json').map((o) =>
      parseWith(labelSchema, o.value, 'label', o.where),
    );
    const withAttr = labels.find((l) => l.id === 5);
    expect(withAttr?.attributes[0]).toMatchObject({
      name: 'model',
      values: ['mazda', 'volvo', 'bmw'],
    });
    expect(withAttr?.project_id).toBe(1);
    expect(withAttr?.task_id).toBeNull();
    const skeleton = labels.find((l) => l.type === 'skeleton');
    expect(skeleton?.sublabels.length).toBeGreaterThan(0);
    expect(skeleton?.svg).toEqual(expect.any(String));
  });

  it('annotations keep shapes, tracks, tags and skeleton elements', () => {
    const all = fixtureObjects('annotations.json').map((o) =>
      parseWith(annotationsSchema, o.value, 'annotations', o.where),
    );
    const count = (k: 'shapes' | 'tracks' | 'tags' | 'intervals') =>
      all.reduce((s, a) => s + a[k].length, 0);
    expect(count('shapes')).toBeGreaterThan(0);
    expect(count('tracks')).toBeGreaterThan(0);
    expect(count('tags')).toBeGreaterThan(0);
    expect(count('intervals')).toBeGreaterThan(0);
    expect(all.some((a) => a.shapes.some((s) => s.elements.length > 0))).toBe(true);
  });
});
