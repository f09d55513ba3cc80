// `npm run demo` (scripts/demo.ts): the bundled test server and the daemon start, the printed
// UI URL answers, the sample folder becomes tasks on the test server, and Ctrl-C (SIGTERM)
// removes the temporary folder.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './run-cli.js';

describe('npm run demo', () => {
  it('prints the UI URL and syncs the sample images and video into the test server', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'scripts', 'demo.ts')], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      for (let i = 0; i < 600 && !/Open the UI: (\S+)/.test(out); i++)
        await new Promise((r) => setTimeout(r, 100));
      const ui = /Open the UI: (\S+)/.exec(out)?.[1];
      const cvat = /test server\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      expect(ui, out).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?code=/);
      expect((await fetch(ui as string)).status).toBe(200);
      // Enter prints a fresh single-use link.
      child.stdin.write('\n');
      for (let i = 0; i < 100 && (out.match(/Open the UI:/g) ?? []).length < 2; i++)
        await new Promise((r) => setTimeout(r, 50));
      const links = [...out.matchAll(/Open the UI: (\S+)/g)].map((m) => m[1]);
      expect(links).toHaveLength(2);
      expect(links[1]).not.toBe(links[0]);
      const auth = `Basic ${Buffer.from('alice:alice-pass').toString('base64')}`;
      let tasks: Array<{ name: string; size: number }> = [];
      for (let i = 0; i < 600; i++) {
        const r = await fetch(`${cvat}/api/tasks`, {
          headers: { Authorization: auth, Accept: 'application/vnd.cvat+json' },
        });
        tasks = ((await r.json()) as { results: typeof tasks }).results;
        if (tasks.length === 3 && tasks.every((t) => t.size > 0)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(tasks.map((t) => [t.name, t.size]).sort()).toEqual([
        ['sample-media/park', 8],
        ['sample-media/street', 12],
        ['sample-media/walk.mp4', 10],
      ]);
    } finally {
      const closed = new Promise((r) => child.on('close', r));
      child.kill('SIGTERM');
      await closed;
    }
    const folder = /sync folder\s+(\S+)/.exec(out)?.[1] ?? '';
    expect(folder).not.toBe('');
    expect(existsSync(folder)).toBe(false);
  });
});
