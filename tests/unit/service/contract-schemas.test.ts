import { describe, expect, it } from 'vitest';
import { CONTRACT, METHOD_NAMES } from '../../../preload/contract.js';
import type { FolderRule } from '../../../preload/contract.js';
import { SyncError } from '../../../main/core/errors.js';
import { parseMethodArg, toContractError } from '../../../main/service/contract-schemas.js';

const rule: FolderRule = {
  path: '/data/cams',
  target: {
    kind: 'labels',
    labels: [
      {
        name: 'car',
        attributes: [{ name: 'occluded', input_type: 'checkbox', values: ['false', 'true'] }],
      },
    ],
  },
  split: { kind: 'count', count: 100 },
  include: ['**/*.jpg'],
  exclude: [],
  settleSeconds: 10,
  polling: false,
  taskOptions: { imageQuality: 70, sortingMethod: 'natural', segmentSize: null },
};

describe('parseMethodArg', () => {
  it('parses every contract method with its own schema, and knows whether it writes', () => {
    expect(METHOD_NAMES.length).toBeGreaterThan(40);
    for (const name of METHOD_NAMES) {
      const spec = CONTRACT[name];
      expect(typeof spec.args.safeParse, name).toBe('function');
      expect(typeof spec.writes, name).toBe('boolean');
    }
    // Reads are safe to repeat; a method that stores, sends or deletes is marked as writing.
    expect(
      METHOD_NAMES.filter((m) => /^(get|list|search|verify|preview)/.test(m) && CONTRACT[m].writes),
    ).toEqual([]);
    for (const m of [
      'addFolder',
      'signIn',
      'deleteTasks',
      'updateSettings',
      'pushAnnotations',
    ] as const)
      expect(CONTRACT[m].writes, m).toBe(true);
  });

  it('accepts well-formed arguments and no argument (undefined, null or {}) for no-argument methods', () => {
    expect(parseMethodArg('getStatus', undefined)).toEqual({
      ok: true,
      method: 'getStatus',
      arg: undefined,
    });
    expect(parseMethodArg('getStatus', null)).toMatchObject({ ok: true });
    expect(parseMethodArg('listTransfers', {})).toMatchObject({ ok: true });
    expect(parseMethodArg('addFolder', rule)).toEqual({ ok: true, method: 'addFolder', arg: rule });
    expect(
      parseMethodArg('signIn', {
        server: 'https://app.cvat.ai',
        method: 'token',
        token: 'abc',
        org: null,
      }),
    ).toMatchObject({ ok: true });
    expect(
      parseMethodArg('listTasks', {
        page: 1,
        pageSize: 50,
        sort: '-updated_date,name',
        status: 'completed',
      }),
    ).toMatchObject({ ok: true });
    expect(parseMethodArg('setBandwidthLimit', { bytesPerSecond: null })).toMatchObject({
      ok: true,
    });
  });

  it('names an unknown method', () => {
    const r = parseMethodArg('__proto__', {});
    expect(r).toEqual({
      ok: false,
      error: {
        code: 'unknown-method',
        kind: 'item',
        message: 'Unknown method "__proto__".',
        retryable: false,
      },
    });
  });

  it('explains malformed payloads with the field path', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['listTasks', { page: 0, pageSize: 10 }, /page/],
      ['listTasks', { page: 1, pageSize: 10, sort: 'id; DROP' }, /sort/],
      ['signIn', { server: 'file:///etc/passwd', method: 'token' }, /server: must be an http/],
      ['addFolder', { ...rule, split: { kind: 'count', count: 0 } }, /split\.count/],
      ['addFolder', { ...rule, extra: 1 }, /extra|Unrecognized/i],
      ['deleteTasks', { ids: [] }, /ids/],
      ['deleteTasks', { ids: [1.5] }, /ids\.0/],
      ['getStatus', { unexpected: true }, /unexpected|Unrecognized/i],
      ['updateSettings', { dataDir: '/elsewhere' }, /dataDir|Unrecognized/i],
      ['exportDataset', 'COCO', /argument/],
    ];
    for (const [method, arg, pattern] of cases) {
      const r = parseMethodArg(method, arg);
      expect(r.ok, `${method} ${JSON.stringify(arg)}`).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('invalid-argument');
        expect(r.error.message).toMatch(new RegExp(`^Invalid argument for ${method}: `));
        expect(r.error.message).toMatch(pattern);
      }
    }
  });
});

describe('toContractError', () => {
  it('keeps the taxonomy of a SyncError and wraps anything else', () => {
    const e = new SyncError('bad token', {
      code: 'auth',
      kind: 'fatal',
      status: 401,
      hint: 'sign in again',
    });
    expect(toContractError(e)).toEqual({
      code: 'auth',
      kind: 'fatal',
      message: 'bad token',
      retryable: false,
      hint: 'sign in again',
      status: 401,
    });
    expect(toContractError(new Error('boom'), 'list tasks')).toEqual({
      code: 'internal',
      kind: 'item',
      message: 'list tasks: boom',
      retryable: false,
    });
    expect(
      toContractError(new SyncError('later', { code: 'server', kind: 'transient' })).retryable,
    ).toBe(true);
  });
});
