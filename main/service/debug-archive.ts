// The debug archive a user attaches to a bug report: settings, activity, folder rules, transfers
// and logs in one zip. Credentials are removed twice: by key name wherever they appear in the
// JSON, and by value (the known secrets, and anything shaped like a credential: Authorization
// headers, token= parameters, session cookies, user:pass@ in URLs; core/scrub.ts) in every text,
// logs included.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { Zippable } from 'fflate';
import { REDACTED, scrubSecrets } from '../core/scrub.js';

const SECRET_KEY = /authorization|token|password|secret|cookie|^key$|apikey|api_key/i;
const MAX_LOG_BYTES = 20 * 1024 * 1024;

export { REDACTED };

export function redactValue(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return scrubText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] =
        SECRET_KEY.test(k) && v !== null && v !== undefined ? REDACTED : redactValue(v, secrets);
    }
    return out;
  }
  return value;
}

export function scrubText(text: string, secrets: readonly string[]): string {
  let out = scrubSecrets(text);
  for (const s of secrets) {
    // Short strings would blank out ordinary words; real secrets are long.
    if (s.length >= 6) out = out.split(s).join(REDACTED);
  }
  return out;
}

export interface DebugArchiveInput {
  /** Folder the zip is written to. */
  outDir: string;
  now: number;
  /** Secret values to remove wherever they appear (tokens, keys, passwords). */
  secrets: readonly string[];
  /** JSON documents, by file name inside the archive. */
  documents: Record<string, unknown>;
  logsDir: string;
}

export function writeDebugArchive(input: DebugArchiveInput): string {
  const files: Zippable = {};
  for (const [name, doc] of Object.entries(input.documents)) {
    files[name] = strToU8(`${JSON.stringify(redactValue(doc, input.secrets), null, 2)}\n`);
  }
  if (existsSync(input.logsDir)) {
    const logs: Zippable = {};
    let budget = MAX_LOG_BYTES;
    for (const name of readdirSync(input.logsDir).sort()) {
      const p = join(input.logsDir, name);
      const st = statSync(p);
      if (!st.isFile() || st.size > budget) continue;
      budget -= st.size;
      logs[name] = strToU8(scrubText(readFileSync(p, 'utf8'), input.secrets));
    }
    files.logs = logs;
  }
  mkdirSync(input.outDir, { recursive: true });
  const stamp = new Date(input.now).toISOString().replace(/[:.]/g, '-');
  const path = join(input.outDir, `cvat-sync-debug-${stamp}.zip`);
  writeFileSync(path, zipSync(files, { level: 6 }), { mode: 0o600 });
  return path;
}
