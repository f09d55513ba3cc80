// The engine's public face for the service and the entry points.
export { createEngine } from './create-engine.js';
export type { Engine, EngineOptions } from './create-engine.js';
export type { EngineJournal } from './engine-journal.js';
export type { Folders } from './folders/folders.js';
export type { SyncOnceSummary, SyncOnceTask } from './folders/sync-once.js';
