import { describe, expect, it } from 'vitest';
import { shapeDiff } from '../../ground-truth/shape.js';

describe('shapeDiff', () => {
  const cvat = {
    id: 1,
    name: 'a',
    data: null,
    owner: { id: 1, username: 'u' },
    labels: { url: 'x' },
    attributes: [{ id: 1, values: ['a'] }],
  };

  it('accepts the same keys and types with other values', () => {
    const ours = { ...cvat, id: 9, name: 'b', owner: { id: 2, username: 'v' } };
    expect(shapeDiff(ours, cvat)).toEqual([]);
  });

  it('names a missing key and a key CVAT does not send', () => {
    const { name: _name, ...rest } = cvat;
    expect(shapeDiff({ ...rest, size: 0 }, cvat)).toEqual([
      'name: missing',
      "size: not in CVAT's answer",
    ]);
  });

  it('tells null from "" and a number from a string, nested and in array items', () => {
    const ours = {
      ...cvat,
      data: '',
      owner: { id: '1', username: 'u' },
      attributes: [
        { id: 1, values: ['a'] },
        { id: 2, values: [3] },
      ],
    };
    expect(shapeDiff(ours, cvat)).toEqual([
      'data: string where CVAT has null',
      'owner.id: string where CVAT has number',
      'attributes[].values[]: number where CVAT has string',
    ]);
  });

  it('allows null only where told, and skips free-form values', () => {
    const ours = { ...cvat, owner: null, labels: { anything: 1 } };
    expect(shapeDiff(ours, cvat)).toEqual([
      'owner: null where CVAT has object',
      'labels.url: missing',
      "labels.anything: not in CVAT's answer",
    ]);
    expect(shapeDiff(ours, cvat, { nullable: ['owner'], opaque: ['labels'] })).toEqual([]);
  });
});
