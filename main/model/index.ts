// The domain model: the shapes of folders, tasks, transfers, activity, settings and errors that
// every layer and both UIs share. Types only, and it imports nothing outside main/model (the
// lint rule in eslint.config.js says so), so anyone may depend on it without pulling in code:
// main/*, the contract in preload/ (which re-exports it) and the renderer (type imports only).
export type * from './errors.js';
export type * from './connection.js';
export type * from './tasks.js';
export type * from './folders.js';
export type * from './transfers.js';
export type * from './activity.js';
