// The connection to one CVAT server: which credentials, which organization, and whether they
// work right now. It owns the CvatClient the engines use and rebuilds it when the sign-in or the
// organization changes.
import type { ConnectionInfo, SignInRequest } from '../../preload/contract.js';
import type { Clock } from '../core/clock.js';
import { SyncError, errorInfo, toSyncError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BackoffPolicy } from '../core/retry.js';
import { normalizeServerUrl, withoutUserinfo } from './server-url.js';
import type { CvatApi, CvatAuth } from '../cvat/api.js';
import { CvatClient } from '../cvat/client.js';
import type { CredentialStore, StoredCredentials } from './host.js';
import { Network, withPin } from './network.js';

export interface ConnectionOptions {
  credentials: CredentialStore;
  /** Proxy and certificate trust; default: the environment's proxy variables, no pins. */
  network?: Network;
  clock: Clock;
  logger: Logger;
  timeoutMs?: number;
}

const DIRECT_FROM_ENV = {
  proxyMode: 'system',
  proxyHost: '',
  proxyPort: null,
  proxyUser: '',
  noProxy: '',
  caFile: null,
} as const;

const QUICK_RETRY: BackoffPolicy = { baseMs: 300, maxMs: 1_000, jitter: 0.5, maxAttempts: 2 };

export class Connection {
  private info: ConnectionInfo;
  private client: CvatApi | null = null;
  private stored: StoredCredentials | null = null;
  private readonly listeners = new Set<(info: ConnectionInfo, api: CvatApi | null) => void>();

  private readonly network: Network;

  constructor(private readonly options: ConnectionOptions) {
    this.info = signedOut(options.credentials.kind);
    this.network = options.network ?? new Network(DIRECT_FROM_ENV, null, undefined);
  }

  get current(): ConnectionInfo {
    return this.info;
  }

  get api(): CvatApi | null {
    return this.client;
  }

  get credentials(): StoredCredentials | null {
    return this.stored;
  }

  onChange(listener: (info: ConnectionInfo, api: CvatApi | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The API, or a fatal 'signed-out' error naming the fix. */
  require(): CvatApi {
    if (this.client) return this.client;
    throw new SyncError('Not signed in to a CVAT server.', {
      code: 'signed-out',
      kind: 'fatal',
      operation: 'connect',
      hint: 'Sign in first (cvat-sync login, or pass --server with CVAT_ACCESS_TOKEN).',
    });
  }

  /** Loads the saved credentials and checks them; a failure leaves the state offline or auth-failed. */
  async restore(): Promise<ConnectionInfo> {
    const saved = await this.options.credentials.load();
    if (!saved) return this.set(signedOut(this.options.credentials.kind), null);
    const server = withoutUserinfo(saved.server);
    if (server !== saved.server) {
      // Saved by a version that kept userinfo in the URL: keep the address, drop the secret.
      const cleaned = { ...saved, server };
      await this.options.credentials.save(cleaned);
      return this.connect(cleaned);
    }
    return this.connect(saved);
  }

  /** Re-checks the current credentials (after 'offline', or on demand). */
  async refresh(): Promise<ConnectionInfo> {
    return this.stored ? this.connect(this.stored) : this.info;
  }

  async signIn(request: SignInRequest): Promise<ConnectionInfo> {
    const server = normalizeServerUrl(request.server);
    if (!server.ok) throw usage(server.message, server.hint);
    const req = { ...request, server: server.url };
    // A certificate the user just confirmed joins those trusted before for this same server.
    const before = this.stored?.server === req.server ? this.stored.trusted : undefined;
    const trusted = req.trustFingerprint
      ? withPin(before, req.server, req.trustFingerprint)
      : before;
    let auth: CvatAuth;
    let username: string | null = null;
    if (req.method === 'token') {
      if (!req.token) throw usage('A personal access token is required.');
      auth = { kind: 'token', token: req.token.trim() };
    } else {
      if (!req.username || !req.password) throw usage('A user name and a password are required.');
      username = req.username;
      // Log in once for the user's API key (sent as "Token"); the password is not kept.
      const key = await CvatClient.login(req.server, req.username, req.password, {
        clock: this.options.clock,
        logger: this.options.logger,
        net: this.network.stackFor(trusted ?? []),
      });
      auth = { kind: 'key', key };
    }
    const candidate: StoredCredentials = {
      server: req.server,
      org: req.org ?? null,
      auth,
      username,
      ...(trusted?.length ? { trusted } : {}),
    };
    const checked = await this.verify(candidate);
    await this.options.credentials.save(checked.credentials);
    this.stored = checked.credentials;
    return this.set(checked.info, checked.api);
  }

  /** Forgets the credentials locally. Never calls the server's logout: it revokes a shared key. */
  async signOut(): Promise<ConnectionInfo> {
    await this.options.credentials.clear();
    this.stored = null;
    return this.set(signedOut(this.options.credentials.kind), null);
  }

  async setOrganization(org: string | null): Promise<ConnectionInfo> {
    const current = this.stored;
    if (!current) throw this.require();
    const checked = await this.verify({ ...current, org });
    await this.options.credentials.save(checked.credentials);
    this.stored = checked.credentials;
    return this.set(checked.info, checked.api);
  }

  private async connect(saved: StoredCredentials): Promise<ConnectionInfo> {
    this.stored = saved;
    this.set({ ...this.infoFor(saved, null), state: 'connecting' }, this.client);
    try {
      const checked = await this.verify(saved);
      return this.set(checked.info, checked.api);
    } catch (e) {
      const err = toSyncError(e, 'connect');
      const state = err.kind === 'fatal' ? 'auth-failed' : 'offline';
      // Offline keeps a client: the engines retry on their own when the server comes back.
      const api = state === 'offline' ? this.build(saved) : null;
      return this.set({ ...this.infoFor(saved, null), state, error: errorInfo(err) }, api);
    }
  }

  private async verify(
    candidate: StoredCredentials,
  ): Promise<{ credentials: StoredCredentials; info: ConnectionInfo; api: CvatApi }> {
    // A quick check: a server that is down should be reported in seconds, not after the long
    // backoff the engines use for reads.
    const probe = this.build(candidate, QUICK_RETRY);
    const about = await probe.about();
    const user = await probe.self();
    if (candidate.org) {
      // An unknown organization answers 404 on lists: find out now, not at the first upload.
      await probe.listTasks({ page_size: 1 });
    }
    const credentials = { ...candidate, username: user.username };
    return {
      credentials,
      info: { ...this.infoFor(credentials, about.version), state: 'connected', error: null },
      api: this.build(credentials),
    };
  }

  private build(c: StoredCredentials, retry?: BackoffPolicy): CvatApi {
    return new CvatClient({
      ...(retry ? { retry } : {}),
      server: c.server,
      auth: c.auth,
      // null = no organization context: lists show every workspace, creates land in the
      // personal one; '' asks for the personal workspace only.
      ...(c.org === null ? {} : { org: c.org }),
      clock: this.options.clock,
      logger: this.options.logger,
      net: this.network.stackFor(c.trusted ?? []),
      ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
    });
  }

  private infoFor(c: StoredCredentials, version: string | null): ConnectionInfo {
    return {
      state: 'connecting',
      server: c.server,
      username: c.username,
      org: c.org,
      serverVersion: version,
      authMethod: c.auth.kind === 'token' ? 'token' : 'password',
      credentialStore: this.options.credentials.kind,
      error: null,
    };
  }

  private set(info: ConnectionInfo, api: CvatApi | null): ConnectionInfo {
    this.info = info;
    this.client = api;
    for (const l of this.listeners) l(info, api);
    return info;
  }
}

function signedOut(kind: CredentialStore['kind']): ConnectionInfo {
  return {
    state: 'signed-out',
    server: null,
    username: null,
    org: null,
    serverVersion: null,
    authMethod: null,
    credentialStore: kind,
    error: null,
  };
}

function usage(message: string, hint?: string): SyncError {
  return new SyncError(message, {
    code: 'invalid-argument',
    kind: 'item',
    operation: 'sign in',
    ...(hint ? { hint } : {}),
  });
}
