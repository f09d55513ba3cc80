// CVAT's own recorded answers (CVAT's REST test assets of a real 2.73.0 server), read in place
// from the shared folder beside the repository. Missing fixtures fail loudly: a suite that
// silently found nothing to check would pass without checking anything.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The CVAT release whose answers the fixtures record. */
export const FIXTURE_VERSION = '2.73.0';

export const fixtureDir = resolve(repoRoot, '..', 'shared', 'cvat', 'fixtures', FIXTURE_VERSION);

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

function requireDir(): void {
  if (!existsSync(fixtureDir))
    throw new Error(
      `CVAT fixtures not found at ${fixtureDir}: the shared folder must sit beside the repository`,
    );
}

/** Every JSON fixture file name (tasks.json, …). */
export function fixtureFiles(): string[] {
  requireDir();
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function readFixture(file: string): Json {
  requireDir();
  return JSON.parse(readFileSync(join(fixtureDir, file), 'utf8')) as Json;
}

/**
 * The objects a fixture file records. Most files are one paginated list answer; access_tokens.json
 * maps `user` → user name → that user's tokens; annotations.json maps `job`/`task` → id → answer.
 */
export function fixtureObjects(file: string): Array<{ where: string; value: JsonObject }> {
  const root = readFixture(file) as JsonObject;
  if (Array.isArray(root.results))
    return (root.results as JsonObject[]).map((value, i) => ({ where: `results[${i}]`, value }));
  const out: Array<{ where: string; value: JsonObject }> = [];
  for (const [group, byKey] of Object.entries(root)) {
    for (const [key, entry] of Object.entries(byKey as JsonObject)) {
      if (Array.isArray(entry))
        entry.forEach((value, i) =>
          out.push({ where: `${group}.${key}[${i}]`, value: value as JsonObject }),
        );
      else out.push({ where: `${group}.${key}`, value: entry as JsonObject });
    }
  }
  return out;
}

/** The paginated envelope of a list fixture (count/next/previous/results). */
export function fixturePage(file: string): JsonObject {
  return readFixture(file) as JsonObject;
}

export function fixtureById(file: string, id: number): JsonObject {
  const found = fixtureObjects(file).find((o) => o.value.id === id);
  if (!found) throw new Error(`${file} has no object with id ${id}`);
  return found.value;
}
