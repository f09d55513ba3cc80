// Global options, credentials and the service, for every command. Global options are declared on
// the program and on every command, so they work before or after the command name.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Result, SignInRequest } from '../../preload/contract.js';
import { SyncError, isSyncError } from '../core/errors.js';
import { normalizeServerUrl } from '../service/server-url.js';
import { FileCredentialStore, MemoryCredentialStore } from '../service/credential-stores.js';
import { readLockHolder } from '../service/engine-lock.js';
import type { CredentialStore, ServiceOptions } from '../service/host.js';
import { createSyncService } from '../service/index.js';
import type { SyncServiceImpl } from '../service/sync-service.js';
import { daemonClient } from './contract-client.js';
import type { ContractClient } from './contract-client.js';
import { readDaemonFile } from './daemon-file.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { Output } from './output.js';
import { defaultDataDir } from './paths.js';
import { promptHidden, readStdin } from './prompt.js';
import { usageError } from './rule-options.js';

export interface GlobalFlags {
  server?: string;
  org?: string;
  tokenFile?: string;
  auth?: string;
  passwordStdin?: boolean;
  dataDir?: string;
  json?: boolean;
  debug?: boolean;
  quiet?: boolean;
}

export function addGlobalOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--server <url>', 'CVAT server URL').env('CVAT_SERVER'))
    .addOption(
      new Option('--org <slug>', 'organization slug ("" = personal workspace)').env('CVAT_ORG'),
    )
    .option(
      '--token-file <file>',
      'read a personal access token from this file (or set CVAT_ACCESS_TOKEN)',
    )
    .option(
      '--auth <user[:password]>',
      'sign in with a user name and password (prompted when missing)',
    )
    .option('--password-stdin', 'read the password of --auth from stdin')
    .addOption(
      new Option(
        '--data-dir <dir>',
        'data folder (journal, profile, logs); shared with the desktop app',
      ).env('CVAT_SYNC_HOME'),
    )
    .option('--json', 'print one JSON object per line on stdout, nothing else')
    .option('--debug', 'print stack traces and debug logs')
    .option('-q, --quiet', 'print only results and errors');
}

export class CliContext {
  readonly flags: GlobalFlags;
  readonly out: Output;
  readonly dataDir: string;
  private services: SyncServiceImpl[] = [];
  private readonly cmd: Command;
  private serverProblem: SyncError | null = null;

  constructor(cmd: Command) {
    this.cmd = cmd;
    this.flags = cmd.optsWithGlobals<GlobalFlags>();
    if (this.flags.server !== undefined) {
      // Compared with the saved profile and stored in one spelling; a refused URL (user info)
      // fails when the command first needs the server, never quoting its password.
      const check = normalizeServerUrl(this.flags.server);
      if (check.ok) this.flags.server = check.url;
      else this.serverProblem = usageError(check.message, check.hint);
    }
    this.out = new Output({
      json: Boolean(this.flags.json),
      quiet: Boolean(this.flags.quiet),
      debug: Boolean(this.flags.debug),
    });
    this.dataDir = resolve(this.flags.dataDir || defaultDataDir());
  }

  /** What the data folder's lock records about this run ("cvat-sync watch --once"). */
  get commandLine(): string {
    return lockCommandLine(this.cmd);
  }

  private explicit: Promise<SignInRequest | null> | null = null;

  /** Credentials given on this command line or in the environment, if any (stdin is read once). */
  explicitSignIn(serverFallback: string | null): Promise<SignInRequest | null> {
    this.explicit ??= this.readExplicit(serverFallback);
    return this.explicit;
  }

  private async readExplicit(serverFallback: string | null): Promise<SignInRequest | null> {
    if (this.serverProblem) throw this.serverProblem;
    const f = this.flags;
    const server = f.server ?? serverFallback;
    const org = f.org === undefined ? null : f.org;
    if (f.auth !== undefined) {
      if (!server)
        throw usageError('--auth needs a server: pass --server URL (or set CVAT_SERVER).');
      const colon = f.auth.indexOf(':');
      const username = colon < 0 ? f.auth : f.auth.slice(0, colon);
      let password = colon < 0 ? null : f.auth.slice(colon + 1);
      if (password === null && f.passwordStdin) password = await readStdin();
      if (password === null) {
        if (!process.stdin.isTTY) {
          throw usageError(
            'No password for --auth.',
            'Pass --auth USER:PASS, use --password-stdin, or run in a terminal to be asked.',
          );
        }
        password = await promptHidden(`Password for ${username} at ${server}: `);
      }
      return { server, method: 'password', username, password, org };
    }
    let token: string | null = null;
    if (f.tokenFile) {
      try {
        token = readFileSync(resolve(f.tokenFile), 'utf8').trim();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw usageError(
          `Cannot read the token file ${resolve(f.tokenFile)}: ${code ?? (e as Error).message}.`,
          undefined,
          code === 'ENOENT' ? 'missing-path' : 'unreadable-path',
        );
      }
    } else if (process.env.CVAT_ACCESS_TOKEN) {
      token = process.env.CVAT_ACCESS_TOKEN.trim();
    }
    if (token !== null) {
      if (!server)
        throw usageError('A token needs a server: pass --server URL (or set CVAT_SERVER).');
      return { server, method: 'token', token, org };
    }
    return null;
  }

  /**
   * The service for this command, signed in with the command line's credentials or the saved
   * profile. `requireAuth` fails early (exit 3) when there is no way to sign in.
   */
  async service(
    options: {
      mode?: ServiceOptions['mode'];
      autostart?: boolean;
      requireAuth?: boolean;
      store?: CredentialStore;
      /** No credentials at all: the command does not talk to the server. */
      offline?: boolean;
      /** Only the saved profile (changes to the connection are saved to it). */
      profileOnly?: boolean;
    } = {},
  ): Promise<SyncServiceImpl> {
    if (this.serverProblem && !options.offline) throw this.serverProblem;
    const profile = new FileCredentialStore(this.dataDir);
    const saved = options.offline ? null : await profile.load().catch(() => null);
    const explicit =
      options.offline || options.profileOnly
        ? null
        : await this.explicitSignIn(saved?.server ?? null);
    let store: CredentialStore = options.offline
      ? new MemoryCredentialStore(null)
      : (options.store ?? profile);
    if (
      !options.store &&
      !options.offline &&
      !options.profileOnly &&
      (explicit ||
        this.flags.org !== undefined ||
        (this.flags.server && saved && this.flags.server !== saved.server))
    ) {
      // Command-line credentials (or an org/server override) are used for this run only.
      store = new MemoryCredentialStore(
        saved && !explicit && (!this.flags.server || this.flags.server === saved.server)
          ? { ...saved, org: this.flags.org === undefined ? saved.org : this.flags.org }
          : null,
      );
    }
    const service = await createSyncService({
      dataDir: this.dataDir,
      host: 'daemon',
      credentials: store,
      command: this.commandLine,
      mode: options.mode ?? 'engine',
      autostart: options.autostart ?? false,
    });
    this.services.push(service);
    if (explicit) {
      unwrap(await service.signIn(explicit));
    } else if (options.requireAuth !== false) {
      const c = service.connection.current;
      if (c.state === 'signed-out') {
        throw new SyncError(
          this.flags.server && saved && this.flags.server !== saved.server
            ? `No saved credentials for ${this.flags.server} (the saved profile is for ${saved.server}).`
            : 'Not signed in.',
          {
            code: 'signed-out',
            kind: 'fatal',
            hint: 'Run `cvat-sync login --server URL` once, or pass CVAT_ACCESS_TOKEN / --token-file / --auth with --server.',
          },
        );
      }
      if (c.error) throw errorFromInfo(c.error);
    }
    return service;
  }

  /**
   * The contract for a command: the running daemon's (over its RPC) when daemon.json names a
   * live one, else a service of this process: engine mode for `write` (takes the data folder's
   * lock, starts nothing), read-only otherwise (works beside the desktop app). `offline` skips
   * credentials: the command needs no server, so an unreachable one must not fail it.
   */
  async client(options: {
    write: boolean;
    offline?: boolean;
    requireAuth?: boolean;
    profileOnly?: boolean;
  }): Promise<ContractClient> {
    const endpoint = readDaemonFile(this.dataDir);
    if (endpoint) {
      this.out.debugLine(`acting on the daemon (process ${endpoint.pid}, port ${endpoint.port})`);
      return daemonClient(endpoint);
    }
    try {
      const service = await this.service({
        mode: options.write ? 'engine' : 'read-only',
        requireAuth: options.requireAuth ?? false,
        offline: options.offline ?? false,
        profileOnly: options.profileOnly ?? false,
      });
      return { api: service, via: 'local' };
    } catch (e) {
      if (isSyncError(e) && e.code === 'engine-locked') {
        // The holder serves no RPC (the desktop app, `watch`, `sync --once`): say who it is.
        const holder = readLockHolder(this.dataDir);
        throw new SyncError(e.message, {
          code: e.code,
          kind: e.kind,
          hint: holder?.command.startsWith('cvat-sync')
            ? 'Stop it first (Ctrl-C), or let `cvat-sync daemon` run the folder: commands act on a running daemon directly.'
            : 'Make the change in the desktop app, or quit it first; commands act on a running `cvat-sync daemon` directly.',
        });
      }
      throw e;
    }
  }

  async close(): Promise<void> {
    const all = this.services;
    this.services = [];
    for (const s of all) await s.close();
  }

  /** Prints an error the documented way and returns its exit code. */
  fail(e: unknown): ExitCode {
    if (isSyncError(e)) {
      const info = {
        code: e.code,
        kind: e.kind,
        message: e.message,
        retryable: e.retryable,
        ...(e.hint ? { hint: e.hint } : {}),
        ...(e.status !== undefined ? { status: e.status } : {}),
      };
      this.out.error(info, e.stack);
      return e.code === 'usage' ? EXIT.usage : exitCodeOf(info);
    }
    const message = e instanceof Error ? e.message : String(e);
    this.out.error(
      {
        code: 'internal',
        kind: 'item',
        message,
        retryable: false,
        hint: 'Run again with --debug for details.',
      },
      e instanceof Error ? e.stack : undefined,
    );
    return EXIT.itemsFailed;
  }
}

export function errorFromInfo(info: {
  code: string;
  kind: 'fatal' | 'item' | 'transient';
  message: string;
  hint?: string;
  status?: number;
}): SyncError {
  return new SyncError(info.message, {
    code: info.code,
    kind: info.kind,
    ...(info.hint ? { hint: info.hint } : {}),
    ...(info.status !== undefined ? { status: info.status } : {}),
  });
}

/** The value of a contract Result, or its error thrown as a SyncError. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw errorFromInfo(r.error);
}

/**
 * Switches that are safe to show to anyone who can read the lock file, or a refusal message
 * quoting it. Everything else (values, positional arguments: --auth USER:PASS, --server URL, paths)
 * is left out: an allowlist, because a denylist misses the next secret-carrying option.
 */
const LOCK_SAFE_SWITCHES: Record<string, string> = {
  once: '--once',
  open: '--open',
  polling: '--polling',
  json: '--json',
  quiet: '--quiet',
  debug: '--debug',
};

/** The subcommand path and its harmless switches, e.g. "cvat-sync sync --once". */
export function lockCommandLine(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  const opts = cmd.optsWithGlobals<Record<string, unknown>>();
  const switches = Object.entries(LOCK_SAFE_SWITCHES)
    .filter(([key]) => opts[key] === true)
    .map(([, flag]) => flag);
  if (opts.printUrl === false) switches.push('--no-print-url');
  return ['cvat-sync', ...names, ...switches].join(' ');
}
