// CVAT-compatible HTTP test server (CVAT 2.80 behaviour by default; version switches for older
// servers, see core.ts, and the 2.73/2.80 read-model differences).
// Every request is streamed; state lives in dataDir and survives restarts.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ctx, HttpError } from './http-kit.js';
import { Store } from './store.js';
import { Core } from './core.js';
import { createRng } from './prng.js';
import { Router } from './router.js';
import { Auth, negotiate } from './auth.js';
import { registerOrgRoutes } from './orgs.js';
import { registerTaskRoutes } from './tasks.js';
import { registerTaskDataRoutes } from './task-data.js';
import { registerAnnotationEditRoutes } from './annotations-edit.js';
import { registerValidationLayoutRoutes } from './validation-layout.js';
import { registerJobDataRoutes } from './job-data.js';
import { Tus } from './tus.js';
import { Requests } from './requests.js';
import { DataUpload } from './data-upload.js';
import { Exports } from './exports.js';
import { Imports } from './imports.js';
import { EXPORTERS, IMPORTERS } from './formats.js';
import { Faults } from './faults.js';
import type { FaultController } from './faults.js';
import { Admin } from './admin.js';
import { Recorder } from './recorder.js';
import type { AdminApi, TestUser } from './admin.js';
import { makeCertificates } from './certs.js';
import type { CertificateSpec, TestCertificates } from './certs.js';

export type {
  FaultController,
  FaultSettings,
  ScriptedFault,
  FaultStats,
  WireEvent,
} from './faults.js';
export type { AdminApi, TestUser, StoredFile, TaskRecord } from './admin.js';
export type { RecordedRequest } from './recorder.js';
export { syntheticSha256, syntheticStream } from './exports.js';
export { makePng } from './media.js';
export {
  mediaFixture,
  jpegWithTag,
  pngWithTag,
  mp4WithTag,
  mp4Around,
  randomMp4,
  mp4HeadToEnd,
  MP4_HEAD_BYTES,
} from './fixture-media.js';
export { createMisbehavingProxy } from './proxy.js';
export { makeCertificates } from './certs.js';
export type { CertificateSpec, TestCertificates } from './certs.js';

/** The newest CVAT release (cvat-sdk/cvat-cli 2.80.0 on the package registry). */
export const DEFAULT_VERSION = '2.80.0';

export interface CvatServerOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  version?: string;
  seed?: number;
  processingDelayMs?: number;
  rangeSupport?: boolean;
  tusMaxSize?: number;
  /**
   * Serve https with a certificate made at start (self-signed or from a test CA) or given.
   * CVAT sites serve https from their reverse proxy (cvat-ai/cvat: docker-compose.https.yml).
   */
  tls?: CertificateSpec | TestCertificates;
}

export interface CvatTestServer {
  url: string;
  port: number;
  users: { alice: TestUser; bob: TestUser };
  faults: FaultController;
  admin: AdminApi;
  /** The certificates of an https server, null for http. */
  certificates: TestCertificates | null;
  close(): Promise<void>;
}

/** First start on a data folder: alice (owner of org 'acme') and bob (no org). */
function bootstrap(admin: Admin): void {
  admin.createUser('alice', { password: 'alice-pass', orgs: ['acme'] });
  admin.createUser('bob', { password: 'bob-pass' });
}

export async function startCvatServer(options: CvatServerOptions = {}): Promise<CvatTestServer> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cvat-test-server-'));
  const store = new Store(dataDir);
  const rng = createRng(options.seed);
  const core = new Core(
    store,
    {
      version: options.version ?? DEFAULT_VERSION,
      processingDelayMs: options.processingDelayMs ?? 100,
      rangeSupport: options.rangeSupport ?? true,
      tusMaxSize: options.tusMaxSize ?? 26_843_545_600,
    },
    rng,
  );

  const router = new Router();
  const auth = new Auth(core);
  const tus = new Tus(core);
  const requests = new Requests(core);
  const exportsApi = new Exports(core, requests);
  const faults = new Faults(createRng(options.seed === undefined ? undefined : options.seed + 1));
  let baseUrl = '';
  const recorder = new Recorder();
  const admin = new Admin(core, auth, exportsApi, faults, recorder, () => baseUrl);
  if (store.fresh) bootstrap(admin);

  auth.register(router);
  registerOrgRoutes(core, router);
  registerTaskRoutes(core, router, requests);
  registerTaskDataRoutes(core, router);
  registerAnnotationEditRoutes(core, router);
  registerValidationLayoutRoutes(core, router);
  registerJobDataRoutes(core, router);
  new DataUpload(core, tus, requests).register(router);
  exportsApi.register(router);
  new Imports(core, tus, requests, exportsApi).register(router);
  requests.registerRoutes(router);
  router.add('GET', /^\/api\/server\/annotation\/formats$/, async (ctx) =>
    ctx.sendJson(200, { importers: IMPORTERS, exporters: EXPORTERS }),
  );

  const pipeline = {
    negotiate,
    authenticate: (ctx: Ctx) => auth.authenticate(ctx),
    requireUser: (ctx: Ctx) => auth.requireUser(ctx),
    checkReadOnly: (ctx: Ctx, allowed: boolean) => auth.checkReadOnly(ctx, allowed),
  };

  const certificates =
    options.tls === undefined
      ? null
      : 'certPem' in options.tls
        ? options.tls
        : makeCertificates(options.tls);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const ctx = new Ctx(req, res);
    void (async () => {
      try {
        if (ctx.path.startsWith('/_test/')) return await admin.handle(ctx);
        recorder.begin(ctx);
        faults.track(ctx);
        if (!(await faults.apply(ctx))) return;
        await router.dispatch(ctx, pipeline);
      } catch (err) {
        if (err instanceof HttpError) await ctx.sendError(err);
        else {
          console.error('[cvat-test-server]', err);
          await ctx.sendText(500, '<h1>Server Error (500)</h1>');
        }
      }
    })().catch(() => undefined);
  };
  const server = certificates
    ? createTlsServer({ cert: certificates.certPem, key: certificates.keyPem }, handler)
    : createServer(handler);
  // A client that gives up on our certificate ends the handshake: not a server error.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  server.on('clientError', (_err, socket) => socket.destroy());
  server.keepAliveTimeout = 30_000;
  server.requestTimeout = 0; // multi-GiB PATCH bodies take as long as they take

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `${certificates ? 'https' : 'http'}://${options.host ?? '127.0.0.1'}:${port}`;
  await store.save();
  requests.resume();

  let closed = false;
  return {
    url: baseUrl,
    port,
    users: { alice: admin.testUser(admin.user('alice')), bob: admin.testUser(admin.user('bob')) },
    faults,
    admin,
    certificates,
    async close() {
      if (closed) return;
      closed = true;
      requests.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // A handler cut off by closeAllConnections may still try to save: it must not write into
      // a folder that is being removed or that a successor server now owns.
      store.close();
      await store.idle();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
