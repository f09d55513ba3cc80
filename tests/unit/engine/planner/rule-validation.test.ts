import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FolderRule } from '../../../../preload/contract.js';
import { FakeClock } from '../../../../main/core/clock.js';
import { isSyncError } from '../../../../main/core/errors.js';
import {
  assertValidRule,
  validateFolderRule,
} from '../../../../main/engine/planner/rule-validation.js';
import { openJournal } from '../../../../main/journal/database.js';
import {
  FolderRepo,
  folderRuleToRow,
  rowToFolderRule,
} from '../../../../main/journal/folder-repo.js';

function rule(over: Partial<FolderRule> = {}): FolderRule {
  return {
    path: '/data/cams',
    target: {
      kind: 'labels',
      labels: [
        { name: 'car' },
        {
          name: 'person',
          attributes: [{ name: 'occluded', input_type: 'checkbox', values: ['false', 'true'] }],
        },
      ],
    },
    org: null,
    split: { kind: 'subfolder' },
    nameTemplate: null,
    include: [],
    exclude: [],
    settleSeconds: 10,
    maxFileSizeBytes: null,
    polling: false,
    taskOptions: { imageQuality: 70 },
    autoExport: null,
    ...over,
  };
}

function messages(r: FolderRule): string[] {
  return validateFolderRule(r).map((p) => `${p.field}: ${p.message}`);
}

describe('FolderRule validation', () => {
  it('accepts a good rule', () => {
    expect(messages(rule())).toEqual([]);
    expect(
      messages(
        rule({
          target: { kind: 'project', projectId: 4 },
          split: { kind: 'count', count: 50 },
          include: ['**/*.jpg'],
          exclude: ['tmp/**', '*.{png,bmp}'],
        }),
      ),
    ).toEqual([]);
  });

  it('names each problem clearly', () => {
    expect(messages(rule({ path: 'relative/dir' }))).toEqual([
      'path: The folder path must be absolute, got "relative/dir".',
    ]);
    expect(messages(rule({ split: { kind: 'count', count: 0 } }))).toEqual([
      'split: Files per task must be a whole number above 0, got 0.',
    ]);
    expect(messages(rule({ target: { kind: 'labels', labels: [] } }))).toEqual([
      'target: Add at least one label, or pick a project whose labels the tasks should use.',
    ]);
    expect(messages(rule({ target: { kind: 'project', projectId: 0 } }))).toEqual([
      'target: Pick a CVAT project (its id must be a positive number).',
    ]);
    expect(messages(rule({ settleSeconds: -1 }))).toEqual([
      'settleSeconds: The settle time must be 0 seconds or more, got -1.',
    ]);
    expect(messages(rule({ exclude: ['[abc'] }))).toEqual([
      'exclude: The exclude pattern "[abc" has an unclosed \'[\'.',
    ]);
    expect(messages(rule({ include: ['/abs/*.jpg'] }))).toEqual([
      'include: The include pattern "/abs/*.jpg" must be relative to the folder (no leading / or drive).',
    ]);
    expect(messages(rule({ nameTemplate: '{folder}/{cam}' }))[0]).toMatch(
      /^nameTemplate: Unknown placeholder \{cam\}/,
    );
    expect(messages(rule({ taskOptions: { imageQuality: 0 } }))).toEqual([
      'taskOptions.imageQuality: Image quality must be a whole number from 1 to 100.',
    ]);
    expect(
      messages(rule({ target: { kind: 'labels', labels: [{ name: 'a' }, { name: 'a' }] } })),
    ).toEqual(['target: The label "a" is listed twice.']);
  });

  it('throws one item error listing every problem', () => {
    try {
      assertValidRule(rule({ path: 'x', settleSeconds: -5 }));
      expect.unreachable();
    } catch (e) {
      expect(isSyncError(e) && e.code).toBe('invalid-rule');
      expect((e as Error).message).toContain('absolute');
      expect((e as Error).message).toContain('settle time');
    }
  });
});

describe('FolderRule <-> folders row', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips every field through the journal', () => {
    const full = rule({
      org: 'acme',
      split: { kind: 'count', count: 7 },
      nameTemplate: '{folder} {date}',
      include: ['**/*.jpg'],
      exclude: ['tmp/**'],
      settleSeconds: 2.5,
      maxFileSizeBytes: 1024,
      polling: true,
      taskOptions: {
        imageQuality: 80,
        segmentSize: 100,
        sortingMethod: 'natural',
        frameStep: 2,
        useCache: true,
      },
      autoExport: {
        formats: ['COCO 1.0'],
        withImages: false,
        backup: true,
        destination: '/out',
        trigger: 'completed',
      },
    });
    expect(rowToFolderRule(folderRuleToRow(full))).toEqual(full);
    dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const db = openJournal(join(dir, 'j.sqlite'));
    const repo = new FolderRepo(db, new FakeClock());
    const row = repo.insert(full, { server: 'https://cvat.example', saved: false });
    expect(repo.get(row.id)?.rule).toEqual(full);
    expect(row.saved).toBe(false);
    expect(repo.findByPath('https://cvat.example', '/data/cams')?.id).toBe(row.id);
    const project = rule({ target: { kind: 'project', projectId: 9 } });
    expect(repo.update(row.id, project).rule).toEqual(project);
    expect(repo.list({ savedOnly: true })).toEqual([]);
    db.close();
  });
});
