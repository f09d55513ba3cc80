// The journal as the engine sees it: batch specs are CVAT task and data requests.
import type { DataRequest } from '../cvat/api.js';
import type { Journal } from '../journal/journal.js';
import type { BatchTaskSpec } from './planner/task-spec.js';

export type EngineJournal = Journal<BatchTaskSpec, DataRequest>;
