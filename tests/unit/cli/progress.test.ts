// The progress bars a person sees on a terminal, and the plain lines a pipe gets instead.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Transfer } from '../../../preload/contract.js';
import { Output } from '../../../main/cli/output.js';

function terminal(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const sink = {
    isTTY,
    columns: 100,
    text: '',
    write(chunk: string): boolean {
      sink.text += chunk;
      return true;
    },
  };
  return sink as unknown as NodeJS.WriteStream & { text: string };
}

function transfer(id: string, over: Partial<Transfer>): Transfer {
  return {
    id,
    kind: 'upload',
    title: id,
    state: 'active',
    stage: 'sending',
    folderId: 1,
    taskId: 7,
    bytesDone: 0,
    bytesTotal: 100 * MB,
    filesDone: 0,
    filesTotal: 10,
    speedBps: 0,
    etaSeconds: null,
    error: null,
    attempts: 0,
    nextAttemptAt: null,
    destination: null,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

// The CLI counts in decimal units (MB = 10^6 bytes), as disk and network tools do.
const MB = 1_000_000;

afterEach(() => vi.useRealTimers());

describe('progress on a terminal', () => {
  it('draws a bar per transfer and a total with speed and ETA, redrawing in place', () => {
    vi.useFakeTimers();
    vi.setSystemTime(10_000);
    const stderr = terminal(true);
    const out = new Output({
      json: false,
      quiet: false,
      debug: false,
      stderr,
      stdout: terminal(false),
    });
    const view = out.progress();
    view.update(transfer('cams/day1', { bytesDone: 25 * MB, speedBps: 5 * MB, etaSeconds: 15 }));
    expect(stderr.text).toMatch(
      /cams\/day1\s+\[#+-+\]\s+25% 25\.0 MB\/100\.0 MB 5\.0 MB\/s ETA 15s/,
    );

    vi.setSystemTime(10_300);
    view.update(transfer('cams/day2', { bytesDone: 75 * MB, speedBps: 5 * MB, etaSeconds: 5 }));
    // The two earlier lines are erased (cursor up 1, clear) before the new frame is drawn.
    expect(stderr.text).toContain('\x1b[1A\x1b[J');
    const frame = stderr.text.slice(stderr.text.lastIndexOf('\x1b[J') + 3);
    expect(frame).toMatch(/cams\/day2\s+\[#+-*\]\s+75%/);
    expect(frame).toMatch(/total \(2\)\s+\[#+-+\]\s+50% 100\.0 MB\/200\.0 MB 10\.0 MB\/s ETA 10s/);

    view.update(transfer('cams/day1', { state: 'done', bytesDone: 100 * MB }));
    expect(stderr.text).toContain('done: upload "cams/day1" (task 7)');
    view.done();
    expect(stderr.text.endsWith('\x1b[J')).toBe(true);
  });

  it('prints one plain line per state change when stderr is not a terminal', () => {
    const stderr = terminal(false);
    const view = new Output({
      json: false,
      quiet: false,
      debug: false,
      stderr,
      stdout: terminal(false),
    }).progress();
    view.update(transfer('a', { state: 'active' }));
    view.update(transfer('a', { state: 'active', bytesDone: 10 }));
    view.update(
      transfer('a', {
        state: 'failed',
        error: {
          code: 'too-large',
          kind: 'item',
          message: 'HTTP 413',
          retryable: false,
          hint: 'raise client_max_body_size',
        },
      }),
    );
    expect(stderr.text.split('\n').filter(Boolean)).toEqual([
      'active (sending): upload "a" 10 files, 100.0 MB',
      'failed: upload "a": HTTP 413 (raise client_max_body_size)',
    ]);
    expect(stderr.text).not.toContain('\x1b[');
  });
});
