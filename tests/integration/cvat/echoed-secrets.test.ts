// A server (or a proxy in front of it) that echoes the request's headers into its error answer
// must not get our credentials copied into error messages, the activity log or the debug archive.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { errorInfo } from '../../../main/core/errors.js';
import type { CvatAuth } from '../../../main/cvat/api.js';
import { makeClient } from './helpers.js';

const TOKEN = 'pat-0123456789abcdef0123456789abcdef';
const KEY = 'key-fedcba9876543210fedcba9876543210';

type Echo = (req: IncomingMessage, res: ServerResponse) => void;

const echoes: Record<string, Echo> = {
  json: (req, res) => {
    res.writeHead(400, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ detail: 'Bad request', headers: req.headers, url: req.url }));
  },
  html: (req, res) => {
    res.writeHead(502, { 'Content-Type': 'text/html' });
    const lines = Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v)}`);
    res.end(`<html><title>Bad gateway ${lines.join(' ')}</title></html>`);
  },
  text: (req, res) => {
    res.writeHead(403, { 'Content-Type': 'text/plain' });
    res.end(`denied; you sent authorization=${req.headers.authorization ?? ''}`);
  },
};

async function failureOf(echo: Echo, auth: CvatAuth): Promise<string> {
  const server = createServer(echo);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const err = await makeClient(url, auth)
      .self()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).not.toBeNull();
    const e = err as Error;
    return [e.message, JSON.stringify(errorInfo(e)), String(e)].join('\n');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

describe('HTTP error excerpts', () => {
  for (const [shape, echo] of Object.entries(echoes)) {
    it(`keep the ${shape} answer's text but not the echoed credentials`, async () => {
      const withToken = await failureOf(echo, { kind: 'token', token: TOKEN });
      expect(withToken).not.toContain(TOKEN);
      expect(withToken).toContain('[redacted]');
      const withKey = await failureOf(echo, { kind: 'key', key: KEY });
      expect(withKey).not.toContain(KEY);
      const basic = await failureOf(echo, {
        kind: 'basic',
        username: 'alice',
        password: 'hunter2-long',
      });
      expect(basic).not.toContain(Buffer.from('alice:hunter2-long').toString('base64'));
    });
  }
});
