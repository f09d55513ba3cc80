// Parsing a call that arrives over a transport (Electron IPC or the daemon's HTTP RPC) with the
// argument schema the contract gives its method, before the service sees it: a renderer is
// untrusted input, and a malformed payload must be a clear error, never a crash in the engine.
import type { ContractError, MethodName } from '../../preload/contract.js';
import { CONTRACT } from '../../preload/contract.js';
import { errorInfo } from '../core/errors.js';

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(CONTRACT, name);
}

export type ParsedCall =
  { ok: true; method: MethodName; arg: unknown } | { ok: false; error: ContractError };

/** Validates a call arriving over a transport; `arg` is the parsed value (defaults applied). */
export function parseMethodArg(method: string, arg: unknown): ParsedCall {
  if (!isMethodName(method)) {
    return {
      ok: false,
      error: invalid('unknown-method', `Unknown method "${method.slice(0, 64)}".`),
    };
  }
  // JSON has no undefined: a transport may carry "no argument" as null.
  const parsed = CONTRACT[method].args.safeParse(arg === null ? undefined : arg);
  if (parsed.success) return { ok: true, method, arg: parsed.data };
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'argument'}: ${i.message}`);
  return {
    ok: false,
    error: invalid('invalid-argument', `Invalid argument for ${method}: ${issues.join('; ')}`),
  };
}

function invalid(code: string, message: string): ContractError {
  return { code, kind: 'item', message, retryable: false };
}

/** Anything thrown, as the contract's error shape (core/errors.ts taxonomy). */
export function toContractError(e: unknown, operation?: string): ContractError {
  return errorInfo(e, operation);
}
