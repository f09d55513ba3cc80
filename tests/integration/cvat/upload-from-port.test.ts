// The client reads what it uploads through the FileSystem port only: media that exist nowhere but
// in the in-memory fake reach the test server whole, by TUS (one range stream per PATCH) and by
// Upload-Multiple, and a file that shrinks mid-upload fails as changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCvatServer } from '../../cvat-server/index.js';
import type { CvatClient } from '../../../main/cvat/client.js';
import { MemoryFileSystem } from '../../../main/fs/memory-file-system.js';
import { LABELS, makeClient, pngBytes, sha256 } from './helpers.js';

type Server = Awaited<ReturnType<typeof startCvatServer>>;
let server: Server;
let client: CvatClient;
const fs = new MemoryFileSystem();
const MiB = 1024 * 1024;

beforeAll(async () => {
  server = await startCvatServer({ seed: 13, processingDelayMs: 20 });
  client = makeClient(server.url, { kind: 'token', token: server.users.alice.token }, { fs });
});
afterAll(async () => {
  await server?.close();
});

function memoryPng(name: string, size: number) {
  const bytes = pngBytes(size);
  const path = `/media/${name}`;
  fs.writeFile(path, bytes);
  return { path, name, size: bytes.length, sha256: sha256(bytes) };
}

describe('uploads read through the FileSystem port', () => {
  it('sends in-memory files by TUS and Upload-Multiple, byte for byte', async () => {
    const big = memoryPng('big.png', 3 * MiB + 77);
    const small = [1, 2].map((i) => memoryPng(`img_${i}.png`, 1500 + i));
    const task = await client.createTask({ name: 'from the port', labels: LABELS });
    await client.uploadStart(task.id);
    const offsets: number[] = [];
    await client.tusUpload({
      target: { kind: 'task-data', taskId: task.id },
      file: big,
      chunkSize: MiB,
      onOffset: (o) => void offsets.push(o),
    });
    expect(offsets).toEqual([MiB, 2 * MiB, 3 * MiB, big.size]);
    const sent = await client.uploadMultiple(task.id, small);
    expect(sent.sha256).toEqual(small.map((f) => f.sha256));
    const rq = await client.uploadFinish(task.id, { image_quality: 70 });
    await client.waitForRequest(rq!, { minDelayMs: 20, maxDelayMs: 100 });
    const byName = new Map(server.admin.taskFiles(task.id).map((f) => [f.name, f.sha256]));
    for (const f of [big, ...small]) expect(byName.get(f.name), f.name).toBe(f.sha256);
  });

  it('a file that shrinks during a TUS upload fails as changed', async () => {
    const f = memoryPng('shrinks.png', 2 * MiB + 5);
    const task = await client.createTask({ name: 'shrinks', labels: LABELS });
    await client.uploadStart(task.id);
    const err = await client
      .tusUpload({
        target: { kind: 'task-data', taskId: task.id },
        file: f,
        chunkSize: MiB,
        onOffset: async (o) => {
          if (o === MiB) await fs.truncate(f.path, MiB + 10);
        },
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'file-changed' });
  });
});
