import { describe, expect, it } from 'vitest';
import { errorInfo, kindOfStatus, SyncError, toSyncError } from '../../../main/core/errors.js';
import { redact } from '../../../main/core/logger.js';

describe('error taxonomy', () => {
  it('maps HTTP statuses as CVAT clients retry them', () => {
    expect(kindOfStatus(401)).toBe('fatal');
    expect(kindOfStatus(403)).toBe('fatal');
    for (const s of [0, 408, 409, 423, 429, 500, 502, 503])
      expect(kindOfStatus(s)).toBe('transient');
    for (const s of [400, 404, 413, 415]) expect(kindOfStatus(s)).toBe('item');
  });

  it('turns anything thrown into a serialisable ErrorInfo', () => {
    expect(errorInfo(new Error('boom'), 'scan')).toEqual({
      code: 'internal',
      kind: 'item',
      message: 'scan: boom',
      retryable: false,
    });
    const e = new SyncError('Too large', {
      code: 'too-large',
      kind: 'item',
      status: 413,
      hint: 'raise the limit',
    });
    expect(errorInfo(e)).toEqual({
      code: 'too-large',
      kind: 'item',
      message: 'Too large',
      retryable: false,
      hint: 'raise the limit',
      status: 413,
    });
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    expect(toSyncError(abort).code).toBe('cancelled');
  });

  it('redacts credentials from log fields', () => {
    expect(
      redact({ url: 'x', headers: { Authorization: 'Bearer s' }, token: 't', password: 'p' }),
    ).toEqual({
      url: 'x',
      headers: { Authorization: '[redacted]' },
      token: '[redacted]',
      password: '[redacted]',
    });
  });
});
