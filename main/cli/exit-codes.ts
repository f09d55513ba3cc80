// Documented exit codes (shown in --help) and how an error maps to one.
import type { ContractError } from '../../preload/contract.js';

export const EXIT = {
  ok: 0,
  itemsFailed: 1,
  usage: 2,
  auth: 3,
  unreachable: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  everything succeeded
  1  some items failed (a file, task, export or import), or the task does not exist
  2  usage: bad command line, unknown format name, missing or unreadable file or folder
  3  authentication: no, wrong, expired or revoked credentials
  4  the server is unreachable (network, DNS, TLS, timeout, 5xx)`;

const USAGE_CODES = new Set([
  'usage',
  'invalid-argument',
  'unknown-format',
  'format-disabled',
  'unknown-method',
  'missing-path',
  'unreadable-path',
  'not-a-folder',
  'not-a-file',
  'invalid-rule',
]);
const AUTH_CODES = new Set([
  'auth',
  'forbidden',
  'signed-out',
  'read-only-token',
  'profile-broken',
]);
const UNREACHABLE_CODES = new Set(['network', 'timeout', 'server', 'tls', 'dns', 'unreachable']);

export function exitCodeOf(e: Pick<ContractError, 'code' | 'kind' | 'status'>): ExitCode {
  if (USAGE_CODES.has(e.code)) return EXIT.usage;
  if (AUTH_CODES.has(e.code) || e.status === 401) return EXIT.auth;
  if (UNREACHABLE_CODES.has(e.code) || (e.status !== undefined && e.status >= 500))
    return EXIT.unreachable;
  return EXIT.itemsFailed;
}
