// `npm run demo`: see CVAT Sync work without a CVAT server. Starts the bundled test server,
// then the daemon signed in to it with a sync folder of generated sample images and one short
// video, and prints the UI's URL. Everything lives in a temporary folder removed on Ctrl-C.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../main/cli/daemon.js';
import { MemoryCredentialStore } from '../main/service/credential-stores.js';
import { makePng, startCvatServer } from '../tests/cvat-server/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rendererDir = join(root, 'dist', 'renderer');
if (!existsSync(join(rendererDir, 'index.html'))) {
  console.log('Building the UI once (vite)…');
  const { build } = await import('vite');
  await build({ configFile: join(root, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
}

const work = mkdtempSync(join(tmpdir(), 'cvat-sync-demo-'));
const photos = join(work, 'sample-media');
let seed = 0;
for (const [sub, count] of [
  ['street', 12],
  ['park', 8],
] as const) {
  mkdirSync(join(photos, sub), { recursive: true });
  for (let i = 0; i < count; i++)
    writeFileSync(
      join(photos, sub, `img-${String(i).padStart(3, '0')}.png`),
      makePng(320, 240, seed++),
    );
}
// One short clip: the top-level boxes of an MP4 (ftyp, an empty moov, mdat padding), so the
// local media check passes. The bundled test server counts a video's frames by its size (64 KiB
// per frame) and does not decode it, so ten frames' worth is enough.
mkdirSync(join(photos, 'clips'), { recursive: true });
const clip = Buffer.alloc(10 * 65_536);
const box = (at: number, size: number, type: string) => {
  clip.writeUInt32BE(size, at);
  clip.write(type, at + 4, 'latin1');
};
box(0, 24, 'ftyp');
clip.write('isom', 8, 'latin1');
clip.write('isommp41', 16, 'latin1');
box(24, 8, 'moov');
box(32, clip.length - 32, 'mdat');
writeFileSync(join(photos, 'clips', 'walk.mp4'), clip);

const cvat = await startCvatServer({ dataDir: join(work, 'cvat'), processingDelayMs: 300 });
const daemon = await startDaemon({
  dataDir: join(work, 'data'),
  port: 0,
  rendererDir,
  credentials: new MemoryCredentialStore(),
});
const service = daemon.service;
const signed = await service.signIn({
  server: cvat.url,
  method: 'token',
  token: cvat.users.alice.token,
});
if (!signed.ok) throw new Error(`sign-in to the test server failed: ${signed.error.message}`);
const folder = await service.addFolder({
  path: photos,
  target: { kind: 'labels', labels: [{ name: 'car' }, { name: 'person' }, { name: 'tree' }] },
  split: { kind: 'subfolder' },
  include: [],
  exclude: [],
  settleSeconds: 1,
  polling: false,
  taskOptions: { imageQuality: 70 },
});
if (!folder.ok) throw new Error(`adding the sample folder failed: ${folder.error.message}`);

console.log(`
CVAT Sync demo
  bundled CVAT test server  ${cvat.url}  (user alice / ${cvat.users.alice.password})
  sync folder               ${photos}
                            street/ (12 images), park/ (8 images), clips/walk.mp4

Open the UI: ${daemon.signInLink()}
  (the link signs one browser in, within a minute: press Enter here for a new one)

Watch the tasks appear (Tasks, Transfers), export one (Export…), browse its frames (Frames…),
and drop more images into the folder to see them synced. Ctrl-C stops and removes everything.
`);
process.stdin.on('data', () => console.log(`Open the UI: ${daemon.signInLink()}`));
process.stdin.on('error', () => undefined);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await daemon.close();
    await cvat.close();
    rmSync(work, { recursive: true, force: true });
    process.exit(0);
  })();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
