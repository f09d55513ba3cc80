import { describe, expect, it } from 'vitest';
import { bodyExcerpt, httpError, networkError, safeUrl } from '../../../main/cvat/http-errors.js';

const NOW = 1_700_000_000_000;

describe('bodyExcerpt', () => {
  it('reads {"detail": ...} without the key', () => {
    expect(bodyExcerpt('{"detail":"Invalid token."}', 'application/vnd.cvat+json')).toBe(
      'Invalid token.',
    );
  });

  it('names each field of a validation error', () => {
    const body = JSON.stringify({
      name: ['This field is required.'],
      segment_size: ['Ensure this value is greater than or equal to 0.'],
    });
    expect(bodyExcerpt(body, 'application/vnd.cvat+json')).toBe(
      'name: This field is required.; segment_size: Ensure this value is greater than or equal to 0.',
    );
  });

  it('puts non_field_errors without a prefix', () => {
    expect(
      bodyExcerpt(
        '{"non_field_errors":["Unable to log in with provided credentials."]}',
        'application/json',
      ),
    ).toBe('Unable to log in with provided credentials.');
  });

  it('paths nested errors, e.g. a label list', () => {
    const body = JSON.stringify({ labels: [{}, { name: ['This field may not be blank.'] }] });
    expect(bodyExcerpt(body, 'application/vnd.cvat+json')).toBe(
      'labels[1].name: This field may not be blank.',
    );
  });

  it('joins a view-level list of strings', () => {
    expect(
      bodyExcerpt('["Adding more data is not supported","second"]', 'application/vnd.cvat+json'),
    ).toBe('Adding more data is not supported second');
  });

  it('unquotes a bare JSON string, even when labelled text', () => {
    expect(bodyExcerpt('"Upload-Length exceeds the limit"', 'application/vnd.cvat+json')).toBe(
      'Upload-Length exceeds the limit',
    );
    expect(bodyExcerpt('"File name is not allowed"', 'text/plain')).toBe(
      'File name is not allowed',
    );
  });

  it('keeps plain text labelled text/html as text', () => {
    expect(bodyExcerpt('Not Found\n', 'text/html; charset=utf-8')).toBe('Not Found');
  });

  it('takes the title of an HTML page from a proxy', () => {
    const html =
      '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>';
    expect(bodyExcerpt(html, 'text/html')).toBe('413 Request Entity Too Large');
  });

  it('strips tags of an HTML fragment without title', () => {
    expect(bodyExcerpt('<p>Bad &amp; <b>worse</b></p>', 'text/html')).toBe('Bad & worse');
  });

  it('is empty for an empty body and clips long ones', () => {
    expect(bodyExcerpt('', 'application/json')).toBe('');
    expect(bodyExcerpt('   ', null)).toBe('');
    const long = bodyExcerpt('x'.repeat(5000), 'text/plain');
    expect(long.length).toBe(300);
    expect(long.endsWith('…')).toBe(true);
  });

  it('reads JSON without a content type', () => {
    expect(bodyExcerpt('{"rq_id":"abc"}', null)).toBe('rq_id: abc');
  });
});

describe('httpError', () => {
  const base = { operation: 'create task', url: 'https://u:p@cvat.example/api/tasks', now: NOW };

  it('maps 401 to a fatal auth error with a sign-in hint and no credentials in the URL', () => {
    const e = httpError({
      ...base,
      status: 401,
      body: '{"detail":"Invalid token."}',
      contentType: 'application/vnd.cvat+json',
    });
    expect(e.kind).toBe('fatal');
    expect(e.code).toBe('auth');
    expect(e.hint).toMatch(/sign in again/i);
    expect(e.hint).toMatch(/revoked or expired/);
    expect(e.url).toBe('https://cvat.example/api/tasks');
    expect(e.message).toBe('create task failed: HTTP 401 — Invalid token.');
    expect(e.body).toBe('Invalid token.');
  });

  it('maps 400 to an item error carrying the field message', () => {
    const e = httpError({
      ...base,
      status: 400,
      body: '{"name":["This field is required."]}',
      contentType: 'application/vnd.cvat+json',
    });
    expect(e.kind).toBe('item');
    expect(e.code).toBe('bad-request');
    expect(e.message).toContain('name: This field is required.');
  });

  it('explains 413 with the proxy size limit', () => {
    const e = httpError({
      ...base,
      status: 413,
      body: '<html><title>413 Request Entity Too Large</title></html>',
      contentType: 'text/html',
    });
    expect(e.kind).toBe('item');
    expect(e.code).toBe('too-large');
    expect(e.hint).toContain('client_max_body_size');
    expect(e.body).toBe('413 Request Entity Too Large');
  });

  it('has hints for 403 and 406', () => {
    expect(httpError({ ...base, status: 403 }).kind).toBe('fatal');
    expect(httpError({ ...base, status: 403 }).hint).toMatch(/organization/);
    expect(httpError({ ...base, status: 406 }).hint).toMatch(/Accept/);
    expect(httpError({ ...base, status: 406 }).code).toBe('not-acceptable');
  });

  it('turns Retry-After into retryAfterMs on a transient 429/503', () => {
    const e = httpError({ ...base, status: 429, retryAfter: '7' });
    expect(e.kind).toBe('transient');
    expect(e.retryAfterMs).toBe(7000);
    const d = httpError({ ...base, status: 503, retryAfter: new Date(NOW + 3000).toUTCString() });
    expect(d.kind).toBe('transient');
    expect(d.code).toBe('server');
    expect(d.retryAfterMs).toBe(3000);
  });

  it('accepts overrides of code, kind and hint', () => {
    const e = httpError({ ...base, status: 409, code: 'tus-name-taken', kind: 'item', hint: 'h' });
    expect([e.code, e.kind, e.hint, e.status]).toEqual(['tus-name-taken', 'item', 'h', 409]);
  });
});

describe('networkError', () => {
  it('finds the errno code inside fetch TypeError causes', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
      code: 'ECONNREFUSED',
    });
    const e = networkError(
      'get server info',
      'http://127.0.0.1:9/api/server/about',
      new TypeError('fetch failed', { cause }),
    );
    expect(e.code).toBe('network');
    expect(e.kind).toBe('transient');
    expect(e.status).toBe(0);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.hint).toBe('Is the server URL right and reachable?');
  });

  it('makes an untrusted certificate a fatal tls error', () => {
    const cause = Object.assign(new Error('self-signed certificate'), {
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    const e = networkError(
      'get server info',
      'https://cvat.example/',
      new TypeError('fetch failed', { cause }),
    );
    expect(e.code).toBe('tls');
    expect(e.kind).toBe('fatal');
  });
});

describe('safeUrl', () => {
  it('drops user info and keeps the rest', () => {
    expect(safeUrl('https://alice:secret@cvat.example/api/tasks?page=2')).toBe(
      'https://cvat.example/api/tasks?page=2',
    );
    expect(safeUrl('http://cvat.example/x')).toBe('http://cvat.example/x');
  });
});
