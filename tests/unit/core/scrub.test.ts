// Secrets by shape inside free text: what key-name redaction cannot see.
import { describe, expect, it } from 'vitest';
import { redact } from '../../../main/core/logger.js';
import { REDACTED, scrubDeep, scrubSecrets } from '../../../main/core/scrub.js';

const TOKEN = 'd11292a97aaeabd0e1a70a68a3a3bae7e8f83142cbc805b4';

describe('scrubSecrets', () => {
  it('removes header-shaped credentials, token parameters, session cookies and URL user info', () => {
    const cases: [string, string][] = [
      [`Authorization: Token ${TOKEN}`, `Authorization: ${REDACTED}`],
      [`{"Authorization":"Bearer ${TOKEN}"}`, `{"Authorization":"${REDACTED}"}`],
      [`proxy-authorization=Basic YWxpY2U6cGFzcw==`, `proxy-authorization=${REDACTED}`],
      [`retry with Bearer ${TOKEN} later`, `retry with Bearer ${REDACTED} later`],
      [`GET /events?token=${TOKEN}&x=1`, `GET /events?token=${REDACTED}&x=1`],
      [`/api/x?access_token=abc#top`, `/api/x?access_token=${REDACTED}#top`],
      [`Cookie: sessionid=${TOKEN}; csrftoken=abcdef`, `Cookie: ${REDACTED}`],
      [`set sessionid=${TOKEN}; Path=/`, `set sessionid=${REDACTED}; Path=/`],
      [`csrftoken=abcdef123`, `csrftoken=${REDACTED}`],
      [
        `cannot reach http://alice:hunter2@cvat.local:8080/api`,
        `cannot reach http://${REDACTED}@cvat.local:8080/api`,
      ],
      [
        `{"token": "${TOKEN}", "detail": "Invalid token."}`,
        `{"token": "${REDACTED}", "detail": "Invalid token."}`,
      ],
      [
        `"cvat-sync watch --auth alice:hunter2 /data"`,
        `"cvat-sync watch --auth ${REDACTED} /data"`,
      ],
      [`/?code=${TOKEN}`, `/?code=${REDACTED}`],
    ];
    for (const [input, expected] of cases) expect(scrubSecrets(input)).toBe(expected);
  });

  it('leaves ordinary text alone', () => {
    for (const text of [
      'Token bucket refilled',
      'Basic authentication is disabled on this server',
      'Bearer authentication failed',
      'exit code=1, status code=500',
      'password: This field is required.',
      'https://cvat.example.com/api/tasks?page=2',
      'key=short',
    ])
      expect(scrubSecrets(text)).toBe(text);
  });

  it('scrubs every string of a nested value, arrays included', () => {
    expect(scrubDeep({ a: [`Bearer ${TOKEN}`, 3, { b: `?token=${TOKEN}` }] })).toEqual({
      a: [`Bearer ${REDACTED}`, 3, { b: `?token=${REDACTED}` }],
    });
  });
});

describe('redact (log fields)', () => {
  it('redacts by key at any depth, arrays included, and by shape inside strings', () => {
    const out = redact({
      url: `http://127.0.0.1:8080/events?token=${TOKEN}`,
      headers: [{ authorization: `Token ${TOKEN}` }, `Authorization: Token ${TOKEN}`],
      error: new Error(`HTTP 400: echo Authorization: Token ${TOKEN}`),
      nested: { password: 'hunter2', detail: 'ok' },
      count: 3,
    });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    expect(out).toEqual({
      url: `http://127.0.0.1:8080/events?token=${REDACTED}`,
      headers: [{ authorization: REDACTED }, `Authorization: ${REDACTED}`],
      error: { message: `HTTP 400: echo Authorization: ${REDACTED}` },
      nested: { password: REDACTED, detail: 'ok' },
      count: 3,
    });
  });
});
