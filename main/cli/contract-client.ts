// One way for commands to reach the engine: the contract (SyncApi), served either by a service
// this process builds or by the running daemon over its loopback RPC. Commands never know which.
import { request } from 'node:http';
import { METHOD_NAMES, RPC_PATH, SESSION_PATH } from '../../preload/contract.js';
import type { ContractError, MethodName, Result, SyncApi } from '../../preload/contract.js';
import type { DaemonEndpoint } from './daemon-file.js';

export interface ContractClient {
  readonly api: SyncApi;
  /** 'daemon': the calls change the running daemon's engine; 'local': this process's service. */
  readonly via: 'daemon' | 'local';
}

/** Long enough for a folder preview of a big tree; a hung daemon still ends the command. */
const RPC_TIMEOUT_MS = 120_000;

export function daemonClient(endpoint: DaemonEndpoint): ContractClient {
  const api: Partial<Record<MethodName, (arg?: unknown) => Promise<Result<unknown>>>> = {};
  for (const m of METHOD_NAMES) api[m] = (arg?: unknown) => callDaemon(endpoint, m, arg);
  return { api: api as unknown as SyncApi, via: 'daemon' };
}

function daemonError(endpoint: DaemonEndpoint, message: string, hint: string): ContractError {
  return {
    code: 'daemon-unreachable',
    kind: 'fatal',
    message: `The daemon (process ${endpoint.pid}, 127.0.0.1:${endpoint.port}) ${message}`,
    retryable: false,
    hint,
  };
}

/** POST /rpc/<method> with the token; the daemon answers the method's Result as JSON. */
export function callDaemon(
  endpoint: DaemonEndpoint,
  method: MethodName,
  arg: unknown,
): Promise<Result<unknown>> {
  return postDaemon(endpoint, `${RPC_PATH}/${method}`, method, arg);
}

/** A fresh single-use sign-in link to the daemon's web UI (`cvat-sync open`). */
export async function mintSignInLink(endpoint: DaemonEndpoint): Promise<Result<string>> {
  const r = await postDaemon(endpoint, `${SESSION_PATH}/link`, 'a sign-in link', null);
  if (!r.ok) return r;
  const url = (r.value as { url?: unknown } | null)?.url;
  return typeof url === 'string'
    ? { ok: true, value: url }
    : { ok: false, error: daemonError(endpoint, 'gave no sign-in link.', RESTART_HINT) };
}

function postDaemon(
  endpoint: DaemonEndpoint,
  path: string,
  method: string,
  arg: unknown,
): Promise<Result<unknown>> {
  const body = JSON.stringify(arg ?? null);
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: endpoint.port,
        method: 'POST',
        path,
        headers: {
          Host: `127.0.0.1:${endpoint.port}`,
          Authorization: `Bearer ${endpoint.token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
        timeout: RPC_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) =>
          resolve({
            ok: false,
            error: daemonError(endpoint, `broke off its answer: ${e.message}.`, RESTART_HINT),
          }),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const isJson = /^application\/json\b/i.test(res.headers['content-type'] ?? '');
          if (isJson) {
            try {
              const parsed = JSON.parse(text) as Result<unknown>;
              if (typeof parsed === 'object' && parsed !== null && 'ok' in parsed)
                return resolve(parsed);
            } catch {
              // fall through: reported below with the status
            }
          }
          resolve({
            ok: false,
            error: daemonError(
              endpoint,
              `refused ${method}: HTTP ${res.statusCode ?? 0} ${text.trim().split('\n')[0] ?? ''}`,
              res.statusCode === 401
                ? 'Its token does not match daemon.json in the data folder: restart the daemon.'
                : RESTART_HINT,
            ),
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${RPC_TIMEOUT_MS / 1000} s`)));
    req.on('error', (e) =>
      resolve({
        ok: false,
        error: daemonError(endpoint, `did not answer: ${e.message}.`, RESTART_HINT),
      }),
    );
    req.end(body);
  });
}

const RESTART_HINT =
  'Check that `cvat-sync daemon` still runs (restart it if it hangs), then run the command again.';
