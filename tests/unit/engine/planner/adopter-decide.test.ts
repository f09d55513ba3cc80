// The adopt decision for one planned batch: a full match only when name, frame names and count
// fit; a near match says what matched and what did not; nothing is guessed.
import { describe, expect, it } from 'vitest';
import { decide } from '../../../../main/engine/planner/adopter.js';
import type { Candidate } from '../../../../main/engine/planner/adopter.js';
import type { CvatTask } from '../../../../main/cvat/api.js';

const task = (id: number): CvatTask =>
  ({ id, name: 'set', data: 1, jobs: { count: 1, completed: 0, validation: 0 } }) as CvatTask;
const meta = (names: string[], size = names.length) => ({
  chunk_size: 36,
  size,
  start_frame: 0,
  stop_frame: size - 1,
  frame_filter: '',
  frames: names.map((name) => ({ name, width: 8, height: 8 })),
  deleted_frames: [],
  included_frames: null,
});
const files = (names: string[]) => names.map((n) => ({ uploadName: n, relPath: `set/${n}` }));
const batch = (data = {}) => ({ name: 'set', data: { image_quality: 70, ...data } });

describe('decide', () => {
  it('uploads when no task of that name exists', () => {
    expect(decide(batch(), files(['a.png']), []).kind).toBe('upload');
  });

  it('adopts the one task whose frame names and count equal the plan', () => {
    const c: Candidate[] = [{ task: task(4), meta: meta(['b.png', 'a.png']) }];
    const d = decide(batch(), files(['a.png', 'b.png']), c);
    expect(d.kind).toBe('adopt');
    expect(d.kind === 'adopt' && d.task.id).toBe(4);
  });

  it('with a frame step, the kept frames must be planned files and their count must fit', () => {
    const planned = files(['a.png', 'b.png', 'c.png', 'd.png', 'e.png']);
    const ok = decide(batch({ frame_filter: 'step=2' }), planned, [
      { task: task(5), meta: meta(['a.png', 'c.png', 'e.png']) },
    ]);
    expect(ok.kind).toBe('adopt');
    const short = decide(batch({ frame_filter: 'step=2' }), planned, [
      { task: task(5), meta: meta(['a.png', 'c.png']) },
    ]);
    expect(short.kind).toBe('partial');
  });

  it('never picks between two matching tasks of the same name', () => {
    const c: Candidate[] = [
      { task: task(1), meta: meta(['a.png']) },
      { task: task(2), meta: meta(['a.png']) },
    ];
    const d = decide(batch(), files(['a.png']), c);
    expect(d.kind).toBe('partial');
    expect(d.kind === 'partial' && d.message).toContain('#1, #2');
  });

  it('a video matches its one file; an archive cannot be compared and is not guessed', () => {
    const video = [{ uploadName: 'walk.mp4', relPath: 'walk.mp4' }];
    expect(decide(batch(), video, [{ task: task(7), meta: meta(['walk.mp4'], 10) }]).kind).toBe(
      'adopt',
    );
    const zip = [{ uploadName: 'set.zip', relPath: 'set.zip' }];
    const d = decide(batch(), zip, [{ task: task(8), meta: meta(['x/1.png', 'x/2.png']) }]);
    expect(d.kind).toBe('partial');
    expect(d.kind === 'partial' && d.message).toContain('cannot be compared');
  });

  it('a task without media is a near match, shown, not adopted', () => {
    const d = decide(batch(), files(['a.png']), [{ task: task(9), meta: null }]);
    expect(d.kind === 'partial' && d.message).toContain('task #9 has no media');
  });
});
