// Reads the .cpuprofile files that `node --cpu-prof` wrote and lists where the time went: self
// time per function (name and file), summed over every profile in the folder.
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export async function summarizeProfiles(dir: string, top: number): Promise<string> {
  const self = new Map<string, number>();
  let total = 0;
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.cpuprofile'))) {
    const p = JSON.parse(await readFile(join(dir, name), 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const node = byId.get(id);
      const us = p.timeDeltas[i] ?? 0;
      total += us;
      if (!node) return;
      const f = node.callFrame;
      const where = f.url ? relative(process.cwd(), f.url.replace(/^file:\/\//, '')) : '';
      const key = `${f.functionName || '(anonymous)'} ${where}${where ? `:${f.lineNumber + 1}` : ''}`;
      self.set(key, (self.get(key) ?? 0) + us);
    });
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return rows
    .map(
      ([k, us]) =>
        `${((us / Math.max(1, total)) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`,
    )
    .join('\n');
}
