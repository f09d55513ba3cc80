// Everything the CLI prints goes through here. With --json, stdout carries one JSON object per
// line and nothing else (messages go to stderr). Progress bars are drawn on a TTY only; anywhere
// else progress is plain lines on state changes.
import type { ContractError, Transfer } from '../../preload/contract.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  debug: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly debug: boolean;
  private readonly stdout: NodeJS.WriteStream;
  private readonly stderr: NodeJS.WriteStream;

  constructor(o: OutputOptions) {
    this.json = o.json;
    this.quiet = o.quiet;
    this.debug = o.debug;
    this.stdout = o.stdout ?? process.stdout;
    this.stderr = o.stderr ?? process.stderr;
  }

  /** A machine-readable record (--json) or its human form. */
  record(value: object, human: () => string | null): void {
    if (this.json) {
      this.stdout.write(`${JSON.stringify(value)}\n`);
      return;
    }
    const text = human();
    if (text !== null) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A human line on stdout (suppressed by --json and --quiet). */
  line(text: string): void {
    if (this.json || this.quiet) return;
    this.stdout.write(`${text}\n`);
  }

  /** Informational message on stderr (suppressed by --quiet). */
  note(text: string): void {
    if (this.quiet) return;
    this.stderr.write(`${text}\n`);
  }

  /** A diagnostic line on stderr, with --debug only. */
  debugLine(text: string): void {
    if (this.debug) this.stderr.write(`debug: ${text}\n`);
  }

  error(e: ContractError, stack?: string): void {
    if (this.json) {
      this.stdout.write(`${JSON.stringify({ type: 'error', error: e })}\n`);
    }
    this.stderr.write(`error: ${e.message}\n`);
    if (e.certificate) {
      // What the trust decision rests on, as the app's dialog shows it.
      const c = e.certificate;
      this.stderr.write(
        [
          `  subject:     ${c.subject}`,
          `  issuer:      ${c.issuer}`,
          `  names:       ${c.altNames || '(none)'}`,
          `  valid:       ${c.validFrom} to ${c.validTo}`,
          `  fingerprint: ${c.fingerprint}`,
          '',
        ].join('\n'),
      );
    }
    if (e.hint) this.stderr.write(`hint: ${e.hint}\n`);
    if (this.debug && stack) this.stderr.write(`${stack}\n`);
  }

  get interactive(): boolean {
    return !this.json && !this.quiet && Boolean(this.stderr.isTTY);
  }

  progress(): ProgressView {
    return this.interactive ? new TtyProgress(this.stderr) : new LineProgress(this);
  }
}

export interface ProgressView {
  update(t: Transfer): void;
  /** Removes the bars before other output. */
  clear(): void;
  done(): void;
}

const FINAL = new Set(['done', 'failed', 'cancelled']);

/** Plain lines, one per state change: fit for logs and pipes (stderr; JSON records with --json). */
class LineProgress implements ProgressView {
  private readonly seen = new Map<string, string>();
  constructor(private readonly out: Output) {}

  update(t: Transfer): void {
    const key = t.state;
    if (this.seen.get(t.id) === key) return;
    this.seen.set(t.id, key);
    // Progress is not the result: humans read it on stderr, so stdout stays scriptable.
    if (this.out.json) this.out.record({ type: 'transfer', transfer: t }, () => null);
    else this.out.note(describe(t));
  }

  clear(): void {}
  done(): void {}
}

/** Redrawn bars on stderr: one per running transfer and a total. */
class TtyProgress implements ProgressView {
  private readonly live = new Map<string, Transfer>();
  private readonly finished = new Set<string>();
  private drawn = 0;
  private lastDraw = 0;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(t: Transfer): void {
    if (FINAL.has(t.state)) {
      this.live.delete(t.id);
      if (this.finished.has(t.id)) return;
      this.finished.add(t.id);
      this.clear();
      this.stream.write(`${describe(t)}\n`);
    } else {
      this.finished.delete(t.id);
      this.live.set(t.id, t);
    }
    const now = Date.now();
    if (now - this.lastDraw < 200 && !FINAL.has(t.state)) return;
    this.lastDraw = now;
    this.draw();
  }

  clear(): void {
    if (this.drawn > 0) this.stream.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  done(): void {
    this.clear();
  }

  private draw(): void {
    this.clear();
    const width = Math.max(40, Math.min(this.stream.columns || 80, 120));
    const rows = [...this.live.values()].slice(0, 8);
    const lines = rows.map((t) =>
      bar(
        truncate(t.title, 28),
        t.bytesDone,
        t.bytesTotal,
        t.speedBps,
        t.etaSeconds,
        width,
        t.state,
      ),
    );
    if (this.live.size > 1) {
      let done = 0;
      let total = 0;
      let speed = 0;
      for (const t of this.live.values()) {
        done += t.bytesDone;
        total += t.bytesTotal;
        speed += t.speedBps;
      }
      const eta = speed > 0 && total > done ? Math.ceil((total - done) / speed) : null;
      lines.push(bar(`total (${this.live.size})`, done, total, speed, eta, width, 'active'));
    }
    if (lines.length) this.stream.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

function bar(
  label: string,
  done: number,
  total: number,
  speed: number,
  eta: number | null,
  width: number,
  state: string,
): string {
  const pct = total > 0 ? Math.min(1, done / total) : 0;
  const tail = ` ${(pct * 100).toFixed(0).padStart(3)}% ${formatBytes(done)}/${formatBytes(total)} ${speed > 0 ? `${formatBytes(speed)}/s` : state} ${eta !== null ? `ETA ${formatDuration(eta)}` : ''}`;
  const head = label.padEnd(28);
  const room = Math.max(10, width - head.length - tail.length - 4);
  const filled = Math.round(room * pct);
  return `${head} [${'#'.repeat(filled)}${'-'.repeat(room - filled)}]${tail}`.slice(0, width - 1);
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

export function describe(t: Transfer): string {
  const what = `${t.kind} "${t.title}"`;
  switch (t.state) {
    case 'done':
      return `done: ${what}${t.taskId !== null ? ` (task ${t.taskId})` : ''}${t.destination ? ` -> ${t.destination}` : ''}`;
    case 'failed':
      return `failed: ${what}: ${t.error?.message ?? 'unknown error'}${t.error?.hint ? ` (${t.error.hint})` : ''}`;
    case 'waiting-retry':
      return `retrying later: ${what}: ${t.error?.message ?? ''}`;
    default:
      return `${t.state}${t.stage ? ` (${t.stage})` : ''}: ${what} ${t.filesTotal > 1 ? `${t.filesTotal} files, ` : ''}${formatBytes(t.bytesTotal)}`;
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A fixed-width table for human output. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}
