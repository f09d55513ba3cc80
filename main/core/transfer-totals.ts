// What the status bar sums up over the transfers; the service and the renderer (its first
// state, before the service's status arrives) count the same way.
import type { Transfer, TransferTotals } from '../model/index.js';

/** Counts by state; bytes and speed of the transfers still under way. */
export function transferTotals(transfers: readonly Transfer[]): TransferTotals {
  const totals: TransferTotals = {
    active: 0,
    queued: 0,
    failed: 0,
    bytesDone: 0,
    bytesTotal: 0,
    speedBps: 0,
  };
  for (const transfer of transfers) {
    const { state } = transfer;
    if (state === 'active' || state === 'processing') totals.active += 1;
    else if (state === 'queued' || state === 'waiting-retry') totals.queued += 1;
    else if (state === 'failed') totals.failed += 1;
    if (state !== 'done' && state !== 'cancelled' && state !== 'failed') {
      totals.bytesDone += transfer.bytesDone;
      totals.bytesTotal += transfer.bytesTotal;
      totals.speedBps += transfer.speedBps;
    }
  }
  return totals;
}
