import { describe, expect, it } from 'vitest';
import {
  BATCH_STATES,
  canTransition,
  isTerminal,
  mayHaveRemoteTask,
} from '../../../main/core/batch-state.js';

describe('batch state machine', () => {
  it('follows the happy path of docs/ARCHITECTURE.md', () => {
    const path = [
      'planned',
      'creating',
      'created',
      'started',
      'sending',
      'finishing',
      'processing',
      'done',
    ] as const;
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  it('never leaves done and never skips a step forward', () => {
    for (const s of BATCH_STATES) expect(canTransition('done', s)).toBe(false);
    expect(canTransition('planned', 'sending')).toBe(false);
    expect(canTransition('created', 'processing')).toBe(false);
  });

  it('lets every in-flight state fall back to planned for recovery', () => {
    for (const s of [
      'creating',
      'created',
      'started',
      'sending',
      'finishing',
      'processing',
    ] as const) {
      expect(canTransition(s, 'planned')).toBe(true);
      expect(mayHaveRemoteTask(s)).toBe(true);
    }
    expect(isTerminal('failed')).toBe(true);
    expect(mayHaveRemoteTask('planned')).toBe(false);
  });
});
