import { describe, expect, it } from 'vitest';
import { authorizationHeader, buildUrl, normaliseServer } from '../../../main/cvat/http.js';
import { listQuery, parseContentRange } from '../../../main/cvat/client.js';

const S = 'https://cvat.example';

describe('buildUrl', () => {
  it('joins a path and query under the server', () => {
    expect(buildUrl(S, '/api/tasks', { page: 2, page_size: 100, search: 'cam 3' })).toBe(
      'https://cvat.example/api/tasks?page=2&page_size=100&search=cam+3',
    );
  });

  it('leaves out undefined and null parameters', () => {
    expect(buildUrl(S, '/api/tasks', { a: undefined, b: null, c: false })).toBe(
      'https://cvat.example/api/tasks?c=false',
    );
  });

  it('adds org= for an org choice, empty for the personal workspace', () => {
    expect(buildUrl(S, '/api/tasks', {}, 'acme')).toBe('https://cvat.example/api/tasks?org=acme');
    expect(buildUrl(S, '/api/tasks', {}, null)).toBe('https://cvat.example/api/tasks?org=');
    expect(buildUrl(S, '/api/tasks', {}, '')).toBe('https://cvat.example/api/tasks?org=');
  });

  it('adds nothing when no org was chosen', () => {
    expect(buildUrl(S, '/api/tasks', {}, undefined)).toBe('https://cvat.example/api/tasks');
  });

  it('never sends the org twice: an explicit org or org_id in the query wins', () => {
    expect(buildUrl(S, '/api/tasks', { org: 'other' }, 'acme')).toBe(
      'https://cvat.example/api/tasks?org=other',
    );
    expect(buildUrl(S, '/api/tasks', { org_id: 3 }, 'acme')).toBe(
      'https://cvat.example/api/tasks?org_id=3',
    );
  });

  it('keeps absolute URLs (result_url) and their query', () => {
    expect(
      buildUrl(S, 'https://cvat.example/api/tasks/1/dataset/download?rq_id=a%3Db', { x: 1 }),
    ).toBe('https://cvat.example/api/tasks/1/dataset/download?rq_id=a%3Db&x=1');
  });

  it('keeps a path prefix of the server', () => {
    expect(buildUrl('https://host/cvat', '/api/tasks')).toBe('https://host/cvat/api/tasks');
  });
});

describe('normaliseServer', () => {
  it('drops trailing slashes, credentials, query and fragment', () => {
    expect(normaliseServer(' https://alice:pw@cvat.example/ ')).toBe('https://cvat.example');
    expect(normaliseServer('http://127.0.0.1:8080/sub/?x=1#y')).toBe('http://127.0.0.1:8080/sub');
  });

  it('refuses non-http URLs', () => {
    expect(() => normaliseServer('ftp://cvat.example')).toThrow(/http/);
  });
});

describe('authorizationHeader', () => {
  it('uses Bearer for PATs, Token for login keys and Basic for passwords', () => {
    expect(authorizationHeader({ kind: 'token', token: 'abc' })).toBe('Bearer abc');
    expect(authorizationHeader({ kind: 'key', key: 'k1' })).toBe('Token k1');
    expect(authorizationHeader({ kind: 'basic', username: 'alice', password: 'pä:ss' })).toBe(
      `Basic ${Buffer.from('alice:pä:ss', 'utf8').toString('base64')}`,
    );
  });
});

describe('listQuery', () => {
  it('serialises the JSON-Logic filter and keeps equality filters', () => {
    const q = listQuery({
      page_size: 'all',
      filter: { and: [{ '==': [{ var: 'task_id' }, 12] }] },
      project_id: 4,
      status: 'completed',
      skip: undefined,
    });
    expect(q).toEqual({
      page_size: 'all',
      filter: '{"and":[{"==":[{"var":"task_id"},12]}]}',
      project_id: 4,
      status: 'completed',
    });
  });

  it('passes a filter string through unchanged', () => {
    expect(listQuery({ filter: '{"==":[{"var":"id"},1]}' })).toEqual({
      filter: '{"==":[{"var":"id"},1]}',
    });
  });
});

describe('parseContentRange', () => {
  it('reads ranges, unknown totals and unsatisfied ranges', () => {
    expect(parseContentRange('bytes 100-199/1000')).toEqual({ start: 100, end: 199, total: 1000 });
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, end: 9, total: null });
    expect(parseContentRange('bytes */1000')).toEqual({ start: -1, end: null, total: 1000 });
    expect(parseContentRange('items 1-2/3')).toBeNull();
    expect(parseContentRange(null)).toBeNull();
  });
});
