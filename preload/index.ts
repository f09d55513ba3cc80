// The Electron preload: window.cvatSync is built from the contract's lists and nothing else.
// Each method forwards its one argument to its own channel; `on` accepts only contract events
// and hands listeners the payload alone, never the IPC event (which would expose ipcRenderer).
// Sandboxed preloads cannot load local modules, so this file is bundled to dist/preload/index.cjs.
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { EVENT_NAMES, IPC_EVENT_CHANNEL, IPC_INVOKE_PREFIX, METHOD_NAMES } from './contract.js';
import type { EventName, SyncBridge, SyncEvents } from './contract.js';

const eventNames = new Set<string>(EVENT_NAMES);

function isEventMessage(message: unknown): message is { event: EventName; payload: unknown } {
  return (
    typeof message === 'object' &&
    message !== null &&
    eventNames.has((message as { event?: unknown }).event as string)
  );
}

const methods = Object.fromEntries(
  METHOD_NAMES.map((name) => [
    name,
    (arg?: unknown) => ipcRenderer.invoke(IPC_INVOKE_PREFIX + name, arg),
  ]),
);

function on<E extends EventName>(event: E, listener: (payload: SyncEvents[E]) => void): () => void {
  if (!eventNames.has(event)) throw new TypeError(`Unknown event "${String(event)}".`);
  if (typeof listener !== 'function') throw new TypeError('The listener must be a function.');
  const handler = (_event: IpcRendererEvent, message: unknown): void => {
    if (isEventMessage(message) && message.event === event)
      listener(message.payload as SyncEvents[E]);
  };
  ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
  return () => {
    ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
  };
}

const bridge = { ...methods, on } as SyncBridge;

contextBridge.exposeInMainWorld('cvatSync', bridge);
