import { describe, expect, it } from 'vitest';
import {
  renderTaskName,
  templateProblem,
  uniqueTaskName,
} from '../../../../main/core/name-template.js';

const at = new Date(2026, 7, 20, 9, 5).getTime();
const vars = { folder: 'cams', subfolder: 'day1', file: 'a.mp4', index: 7, at };

describe('task name templates', () => {
  it('uses the defaults per kind of task', () => {
    expect(renderTaskName(null, 'subfolder', vars)).toBe('cams/day1');
    expect(renderTaskName(null, 'root', { ...vars, subfolder: '' })).toBe('cams');
    expect(renderTaskName(undefined, 'file', vars)).toBe('cams/a.mp4');
    expect(renderTaskName('', 'count', vars)).toBe('cams #7');
  });

  it('fills every placeholder', () => {
    expect(renderTaskName('{folder}-{subfolder}-{file}-{index} {date} {time}', 'file', vars)).toBe(
      'cams-day1-a.mp4-7 2026-08-20 09-05',
    );
  });

  it('does not leave separators behind for empty placeholders', () => {
    expect(renderTaskName('{folder}/{subfolder}', 'root', { ...vars, subfolder: '' })).toBe('cams');
    expect(renderTaskName('{subfolder}/{file}', 'root', { ...vars, subfolder: '', file: '' })).toBe(
      'cams',
    );
  });

  it('caps names at 256 characters', () => {
    expect([...renderTaskName(null, 'root', { ...vars, folder: 'x'.repeat(300) })]).toHaveLength(
      256,
    );
  });

  it('reports unknown placeholders and unbalanced braces', () => {
    expect(templateProblem('{folder}/{subfolder}')).toBeNull();
    expect(templateProblem('{folder}/{camera}')).toMatch(/unknown placeholder \{camera\}/);
    expect(templateProblem('{folder')).toMatch(/unbalanced/);
    expect(templateProblem('  ')).toMatch(/empty/);
  });

  it('dedupes with a numbered suffix', () => {
    const taken = new Set(['cams/day1', 'cams/day1 (2)']);
    expect(uniqueTaskName('cams/day1', (n) => taken.has(n))).toBe('cams/day1 (3)');
    expect(uniqueTaskName('cams/day2', (n) => taken.has(n))).toBe('cams/day2');
  });
});
