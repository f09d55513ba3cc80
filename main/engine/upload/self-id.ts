// Our user id on the server, asked once per API. A transient failure is not kept (the next ask
// tries again); a fatal one is thrown, so that the queue holds.
import { toSyncError } from '../../core/errors.js';
import type { CvatApi } from '../../cvat/api.js';

export class SelfIdCache {
  private cached: { api: CvatApi; id: Promise<number | null> } | null = null;

  get(api: CvatApi): Promise<number | null> {
    if (this.cached?.api !== api) {
      const id = api.self().then(
        (u) => u.id,
        (e: unknown) => {
          if (toSyncError(e).kind === 'fatal') throw e;
          return null;
        },
      );
      this.cached = { api, id };
      id.then(
        (v) => {
          if (v === null && this.cached?.id === id) this.cached = null;
        },
        () => {
          if (this.cached?.id === id) this.cached = null;
        },
      );
    }
    return this.cached.id;
  }
}
