// The Electron IPC transport of the UI contract: one handler per contract method. Every call is
// checked before the service sees it — who sent it (our page in the main window's top frame),
// how big it is, and whether its argument fits the method's schema — and every answer has the
// contract's {ok, value} | {ok: false, error} shape, never a thrown error.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type {
  ContractError,
  EventName,
  MethodName,
  Result,
  SyncApi,
} from '../../preload/contract.js';
import {
  CONTRACT,
  IPC_EVENT_CHANNEL,
  IPC_INVOKE_PREFIX,
  METHOD_NAMES,
} from '../../preload/contract.js';
import { errorInfo } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { EventListener } from '../service/host.js';
import { isAppUrl } from './app-protocol.js';

/** Larger arguments are refused before parsing: no contract method needs more. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

export type ArgParser = (
  method: string,
  arg: unknown,
) => { ok: true; method: MethodName; arg: unknown } | { ok: false; error: ContractError };

/** The frame and contents of the window allowed to call; null while there is none. */
export interface TrustedTarget {
  contents: Pick<WebContents, 'id' | 'mainFrame' | 'isDestroyed'>;
}

export interface IpcTransportOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  service: SyncApi;
  parseArg: ArgParser;
  trusted: () => TrustedTarget | null;
  logger: Logger;
  /** Called after each successful call, e.g. to apply settings that live in the shell. */
  afterCall?: (method: MethodName, value: unknown) => void;
}

function refusal(code: string, message: string): { ok: false; error: ContractError } {
  return { ok: false, error: { code, kind: 'item', message, retryable: false } };
}

/** True when the call comes from the top frame of the trusted window, showing our own page. */
export function isTrustedSender(
  event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>,
  target: TrustedTarget | null,
): boolean {
  if (target === null || target.contents.isDestroyed()) return false;
  const frame = event.senderFrame;
  if (frame === null || event.sender.id !== target.contents.id) return false;
  const top = target.contents.mainFrame;
  return (
    frame.parent === null &&
    frame.processId === top.processId &&
    frame.routingId === top.routingId &&
    isAppUrl(frame.url)
  );
}

/** Serialized size in bytes, or null when the value has no JSON form (cycles, BigInt). */
export function payloadSize(arg: unknown): number | null {
  if (arg === undefined) return 0;
  try {
    const json = JSON.stringify(arg);
    return json === undefined ? null : Buffer.byteLength(json, 'utf8');
  } catch {
    return null;
  }
}

export function registerIpcHandlers(options: IpcTransportOptions): () => void {
  const { ipcMain, service, parseArg, trusted, logger } = options;
  for (const name of METHOD_NAMES) {
    ipcMain.handle(
      IPC_INVOKE_PREFIX + name,
      async (event, ...args: unknown[]): Promise<Result<unknown>> => {
        if (!isTrustedSender(event, trusted())) {
          logger.warn('ipc: refused a call from an untrusted frame', {
            method: name,
            url: event.senderFrame?.url ?? null,
          });
          return refusal('forbidden-sender', 'This window may not call the app.');
        }
        if (args.length > 1) return refusal('bad-request', `${name} takes one argument.`);
        const size = payloadSize(args[0]);
        if (size === null)
          return refusal('bad-request', `The argument of ${name} is not plain data.`);
        if (size > MAX_PAYLOAD_BYTES) {
          return refusal(
            'payload-too-large',
            `The argument of ${name} is ${size} bytes; at most ${MAX_PAYLOAD_BYTES} are accepted.`,
          );
        }
        const parsed = parseArg(name, args[0]);
        if (!parsed.ok) return { ok: false, error: parsed.error };
        try {
          const call = service[parsed.method] as (arg: unknown) => Promise<Result<unknown>>;
          const result = await call.call(service, parsed.arg);
          if (result.ok) {
            // A trail of what the window changed (names only, never arguments), for the log.
            if (CONTRACT[parsed.method].writes)
              logger.info('ipc: changed by the window', { method: name });
            options.afterCall?.(parsed.method, result.value);
          }
          return result;
        } catch (e) {
          // The service answers with Results; a throw is a defect, reported rather than leaked.
          logger.error('ipc: service method threw', {
            method: name,
            error: e instanceof Error ? e.message : String(e),
          });
          return { ok: false, error: errorInfo(e, name) };
        }
      },
    );
  }
  return () => {
    for (const name of METHOD_NAMES) ipcMain.removeHandler(IPC_INVOKE_PREFIX + name);
  };
}

/** Forwards every service event to the main window only (never to other frames or windows). */
export function eventForwarder(
  target: () => Pick<WebContents, 'send' | 'isDestroyed'> | null,
): EventListener {
  return <E extends EventName>(event: E, payload: unknown) => {
    const contents = target();
    if (contents === null || contents.isDestroyed()) return;
    contents.send(IPC_EVENT_CHANNEL, { event, payload });
  };
}
