// Machine-readable benchmark figures: every benchmark prints its table and writes the same rows
// as JSON to test-artifacts/bench/<name>.json, which `npm run bench` gathers into one summary.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchRow {
  measure: string;
  /** The headline figure, as a number (ratio, ms, bytes...), null when not measured. */
  value: number | null;
  unit: string;
  /** The goal as text, e.g. "<= 1.3"; empty when the row is for comparison only. */
  goal: string;
  /** Whether `value` meets `goal`; null when the row has no goal. */
  met: boolean | null;
  details: string;
  /** Further figures of the row (per client, per case...). */
  figures?: Record<string, unknown>;
}

export interface BenchResult {
  name: string;
  title: string;
  startedAt: string;
  finishedAt: string;
  /** Options that shaped the run (quick, scale, sizes). */
  options: Record<string, unknown>;
  machine: { cpus: number; loadavgAtStart: number[]; loadavgAtEnd: number[] };
  rows: BenchRow[];
}

export const RESULTS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'test-artifacts',
  'bench',
);

export function resultPath(name: string): string {
  return join(RESULTS_DIR, `${name}.json`);
}

/** Collects a benchmark's rows and writes them when done. */
export class BenchReport {
  readonly rows: BenchRow[] = [];
  private readonly startedAt = new Date().toISOString();
  private readonly loadAtStart = loadavg();

  constructor(
    readonly name: string,
    readonly title: string,
    readonly options: Record<string, unknown>,
  ) {}

  add(row: BenchRow): void {
    this.rows.push(row);
  }

  /** A row whose goal is "value <= max" (or ">= min"). */
  goal(
    measure: string,
    value: number | null,
    unit: string,
    goal: { max?: number; min?: number } | null,
    details: string,
    figures?: Record<string, unknown>,
  ): void {
    const text = goal === null ? '' : goal.max !== undefined ? `<= ${goal.max}` : `>= ${goal.min}`;
    const met =
      goal === null || value === null
        ? null
        : (goal.max === undefined || value <= goal.max) &&
          (goal.min === undefined || value >= goal.min);
    this.add({
      measure,
      value,
      unit,
      goal: text,
      met,
      details,
      ...(figures ? { figures } : {}),
    });
  }

  /** Writes the JSON file and returns its path. */
  write(): string {
    const result: BenchResult = {
      name: this.name,
      title: this.title,
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      options: this.options,
      machine: { cpus: cpus().length, loadavgAtStart: this.loadAtStart, loadavgAtEnd: loadavg() },
      rows: this.rows,
    };
    const path = resultPath(this.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
    return path;
  }
}

/** Left-aligned columns, two spaces apart. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatValue(value: number | null, unit: string): string {
  if (value === null) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : 2;
  return `${value.toFixed(digits)}${unit === 'x' ? 'x' : unit ? ` ${unit}` : ''}`;
}
