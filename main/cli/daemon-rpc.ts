// The contract over the daemon's HTTP: POST {RPC_PATH}/<method> with the argument as JSON,
// answered with the method's Result as JSON. The methods are the contract's (parseMethodArg
// knows them and parses the argument with the method's schema); nothing here names one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SyncApi } from '../../preload/contract.js';
import { parseMethodArg } from '../service/contract-schemas.js';
import { readBody, sendJson, sendText } from './daemon-http.js';

export const MAX_RPC_BODY_BYTES = 1024 * 1024;

/**
 * Serves one call, the bearer token already checked. 404 for a name the contract does not
 * have, 400 for an argument its schema refuses, 200 with the service's Result otherwise.
 */
export async function serveRpc(
  req: IncomingMessage,
  res: ServerResponse,
  methodSegment: string,
  service: SyncApi,
): Promise<void> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type))
    return sendText(res, 415, 'Send the argument as application/json.');
  const body = await readBody(req, MAX_RPC_BODY_BYTES);
  if (body === null) return sendText(res, 413, `Request body above ${MAX_RPC_BODY_BYTES} bytes.`);
  let arg: unknown;
  try {
    arg = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
  } catch {
    return sendJson(res, 400, {
      ok: false,
      error: {
        code: 'invalid-argument',
        kind: 'item',
        message: 'The request body is not JSON.',
        retryable: false,
      },
    });
  }
  const call = parseMethodArg(decodeMethodName(methodSegment), arg);
  if (!call.ok) return sendJson(res, call.error.code === 'unknown-method' ? 404 : 400, call);
  const fn = service[call.method] as (a: unknown) => Promise<unknown>;
  sendJson(res, 200, await fn.call(service, call.arg));
}

/** The method segment decoded; a malformed escape (%E0%A4%A) is just an unknown name, not a crash. */
function decodeMethodName(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
