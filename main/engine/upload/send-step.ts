// sending: open work first (a bulk part cut short, a TUS creation never recorded), then the
// large files by TUS and the small ones in Upload-Multiple groups, regrouped on 413.
import type { BatchFileRow } from '../../journal/batch-repo.js';
import { nextBulkGroup } from './bulk-groups.js';
import { sendBulk } from './bulk-send.js';
import { settleOpenPart } from './open-bulk-part.js';
import { checkGroup } from './plan-checks.js';
import type { GroupCheck } from './plan-checks.js';
import type { RunnerActions, Step } from './runner-types.js';
import { sendTus } from './tus-send.js';
import type { UploadBatch } from './types.js';

export async function send(runner: RunnerActions, b: UploadBatch): Promise<Step> {
  const parts = runner.deps.uploads.bulkParts(b.id);
  const openPart = parts.find((p) => p.state !== 'done');
  if (openPart) {
    // Sent again into the same task, or settled by sending it again (open-bulk-part.ts).
    await settleOpenPart(runner.deps, b, openPart, runner.signal);
    return 'continue';
  }
  const tus = runner.deps.uploads.tusForBatch(b.id);
  const openCreation = tus.find((t) => t.state === 'creating' || t.state === 'unknown');
  if (openCreation) {
    // The server may have registered the name without us recording the Location.
    const file = runner.deps.batches.files(b.id).find((f) => f.id === openCreation.batchFileId);
    return runner.restart(
      b,
      `the TUS upload of ${file?.uploadName ?? 'a file'} was created but its address was never recorded`,
    );
  }
  const pending = runner.deps.batches.files(b.id).filter((f) => f.state === 'pending');
  const viaTus = (f: BatchFileRow): boolean =>
    f.via === 'tus' || (f.via === null && f.size > runner.deps.settings.bulkThreshold);
  for (const f of pending.filter(viaTus)) {
    const outcome = await sendTus(runner, b, f);
    if (outcome !== 'continue') return outcome;
  }
  let small = pending.filter((f) => !viaTus(f));
  let maxBytes = runner.deps.settings.bulkBatchBytes;
  let maxFiles = runner.deps.settings.bulkBatchFiles;
  let ahead: GroupCheck | null = null;
  while (small.length > 0) {
    const group = nextBulkGroup(small, maxBytes, maxFiles);
    const checked: GroupCheck =
      ahead?.ids === group.map((f) => f.id).join(',') ? ahead : checkGroup(runner.deps.fs, group);
    // Hashing the next group overlaps with sending this one.
    const next = nextBulkGroup(small.slice(group.length), maxBytes, maxFiles);
    ahead = next.length > 0 ? checkGroup(runner.deps.fs, next) : null;
    const outcome = await sendBulk(runner, b, group, checked);
    if (outcome === 'stop' || outcome === 'restarted') return outcome;
    if (outcome === 'too-large') {
      if (group.length === 1 && group[0]) {
        // Even alone it is too big for one request: TUS sends it in chunks.
        runner.deps.batches.forceTus(group[0].id);
        const forced = runner.deps.batches.files(b.id).find((f) => f.id === group[0]?.id);
        const viaTusNow = forced ? await sendTus(runner, b, forced) : 'continue';
        if (viaTusNow !== 'continue') return viaTusNow;
        small = small.slice(1);
      } else {
        maxBytes = Math.max(1, Math.floor(group.reduce((s, f) => s + f.size, 0) / 2));
        maxFiles = Math.max(1, Math.floor(group.length / 2));
      }
      continue;
    }
    small = small.slice(group.length);
  }
  if (runner.deps.batches.files(b.id).some((f) => f.state === 'pending')) return 'continue';
  return runner.cas(b, 'finishing');
}
