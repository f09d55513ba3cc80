// Builds the renderer's state over a FakeBridge, the way main.ts does over the real one.
import { AppState } from '../../renderer/src/state/app.svelte.js';
import { setBridge } from '../../renderer/src/lib/api.js';
import { FakeBridge } from './fake-bridge.js';

export interface Harness {
  fake: FakeBridge;
  app: AppState;
  stop: () => void;
}

/** Starts an AppState on `fake` (already configured by the test) and waits for its first load. */
export async function startApp(fake = new FakeBridge()): Promise<Harness> {
  setBridge(fake);
  const app = new AppState(fake);
  const stop = app.start();
  await app.loaded;
  return { fake, app, stop };
}
