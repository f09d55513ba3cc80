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
import { parseMethodArg } from '../../../../main/service/contract-schemas.js';
import type { FolderFormFields } from '../../../../renderer/src/lib/folder-form.js';
import {
  fieldsFromRule,
  formProblems,
  ruleFromFields,
} from '../../../../renderer/src/lib/folder-form.js';
import { FolderRepo, folderRuleToRow, rowToFolderRule } from '../../../../main/journal/folder-repo.js';

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

describe('FolderRule bounds', () => {
  const autoExport = {
    formats: ['COCO 1.0'],
    withImages: false,
    backup: false,
    destination: '/out',
    trigger: 'schedule' as const,
    intervalMinutes: 60,
  };

  it('takes CVAT’s and the product’s bounds', () => {
    const fields = (r: FolderRule): string[] => validateFolderRule(r).map((p) => p.field);
    // Files per task: a whole number from 1 to 100 000.
    expect(fields(rule({ split: { kind: 'count', count: 100_000 } }))).toEqual([]);
    expect(fields(rule({ split: { kind: 'count', count: 100_001 } }))).toEqual(['split']);
    expect(fields(rule({ split: { kind: 'count', count: 2.5 } }))).toEqual(['split']);
    // Settle window: 0 s to one day.
    expect(fields(rule({ settleSeconds: 0 }))).toEqual([]);
    expect(fields(rule({ settleSeconds: 86_401 }))).toEqual(['settleSeconds']);
    // CVAT's integer fields stop at 2^31 - 1 (its serializers' max_value).
    expect(fields(rule({ taskOptions: { imageQuality: 70, segmentSize: 2 ** 31 } }))).toEqual([
      'taskOptions.segmentSize',
    ]);
    expect(
      fields(rule({ taskOptions: { imageQuality: 70, startFrame: 9, stopFrame: 3 } })),
    ).toEqual(['taskOptions.stopFrame']);
    expect(fields(rule({ taskOptions: { imageQuality: 101 } }))).toEqual([
      'taskOptions.imageQuality',
    ]);
    // CVAT's label names: 1 to 64 characters, not blank.
    expect(
      fields(rule({ target: { kind: 'labels', labels: [{ name: 'x'.repeat(65) }] } })),
    ).toEqual(['target']);
    expect(fields(rule({ target: { kind: 'labels', labels: [{ name: '  ' }] } }))).toEqual([
      'target',
    ]);
    // Auto-export: every 1 minute to a year, a format or the backup, an absolute destination.
    expect(fields(rule({ autoExport: { ...autoExport, intervalMinutes: 1 } }))).toEqual([]);
    expect(fields(rule({ autoExport: { ...autoExport, intervalMinutes: 0 } }))).toEqual([
      'autoExport',
    ]);
    expect(fields(rule({ autoExport: { ...autoExport, formats: [] } }))).toEqual(['autoExport']);
    expect(fields(rule({ autoExport: { ...autoExport, formats: [], backup: true } }))).toEqual([]);
    expect(fields(rule({ autoExport: { ...autoExport, destination: 'out' } }))).toEqual([
      'autoExport',
    ]);
    expect(fields(rule({ autoExport: { ...autoExport, destination: '  ' } }))).toEqual([
      'autoExport',
    ]);
  });

  // The editor builds the rule from its fields and checks it with the same schema; these are the
  // values on which the editor, the contract and the planner used to disagree.
  it('is refused by the folder editor exactly when the service refuses it', () => {
    const base = (): FolderFormFields => fieldsFromRule(rule());
    const edits: Array<[string, (f: FolderFormFields) => void]> = [
      ['nothing changed', () => {}],
      ['a relative path', (f) => void (f.rule.path = 'data/cams')],
      ['a blank path', (f) => void (f.rule.path = '   ')],
      [
        '0 files per task (the editor used to send 1)',
        (f) => {
          f.splitKind = 'count';
          f.splitCount = 0;
        },
      ],
      [
        'an empty files-per-task field',
        (f) => {
          f.splitKind = 'count';
          f.splitCount = null;
        },
      ],
      [
        '2.5 files per task (the editor used to round down)',
        (f) => {
          f.splitKind = 'count';
          f.splitCount = 2.5;
        },
      ],
      [
        '100 001 files per task',
        (f) => {
          f.splitKind = 'count';
          f.splitCount = 100_001;
        },
      ],
      ['a settle window over a day', (f) => void (f.rule.settleSeconds = 86_401)],
      ['a negative settle window', (f) => void (f.rule.settleSeconds = -1)],
      ['0.3 MiB as the largest file (whole bytes)', (f) => void (f.maxFileMiB = 0.3)],
      ['a negative largest file', (f) => void (f.maxFileMiB = -2)],
      ['a project not chosen', (f) => void (f.targetKind = 'project')],
      [
        'a chosen project',
        (f) => {
          f.targetKind = 'project';
          f.projectId = 4;
        },
      ],
      ['no labels', (f) => void (f.labels = [])],
      ['a label twice', (f) => void (f.labels = [{ name: 'a' }, { name: 'a' }])],
      ['an unknown name placeholder', (f) => void (f.rule.nameTemplate = '{cam}')],
      ['a bad exclude pattern', (f) => void (f.excludeText = '**/*.jpg\n[abc')],
      [
        'stop before start',
        (f) => {
          f.rule.taskOptions = { imageQuality: 70, startFrame: 10, stopFrame: 2 };
        },
      ],
      [
        'an empty image quality field',
        (f) => {
          f.rule.taskOptions = { imageQuality: null as unknown as number };
        },
      ],
      [
        'auto-export every minute (the editor used to ask for 5)',
        (f) => {
          f.autoExport = { ...autoExport, intervalMinutes: 1 };
        },
      ],
      [
        'auto-export every 2.5 minutes',
        (f) => {
          f.autoExport = { ...autoExport, intervalMinutes: 2.5 };
        },
      ],
      [
        'auto-export of nothing (the service used to take it)',
        (f) => {
          f.autoExport = { ...autoExport, formats: [] };
        },
      ],
      [
        'auto-export to a relative folder',
        (f) => {
          f.autoExport = { ...autoExport, destination: 'results' };
        },
      ],
    ];
    const verdicts = edits.map(([what, edit]) => {
      const fields = base();
      edit(fields);
      const candidate = ruleFromFields(fields);
      const editor = formProblems(fields).length === 0;
      const service = parseMethodArg('addFolder', candidate).ok;
      const planner = validateFolderRule(candidate).length === 0;
      return { what, editor, service, planner };
    });
    for (const v of verdicts) {
      expect(v.service, v.what).toBe(v.editor);
      expect(v.planner, v.what).toBe(v.editor);
    }
    expect(verdicts.filter((v) => v.editor).map((v) => v.what)).toEqual([
      'nothing changed',
      '0.3 MiB as the largest file (whole bytes)',
      'a chosen project',
      'auto-export every minute (the editor used to ask for 5)',
    ]);
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
