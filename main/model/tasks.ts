// Tasks, projects, formats, and the requests that act on them.
import type { ContractError } from './errors.js';

export type TaskStatus = 'annotation' | 'validation' | 'completed';

export interface TaskQuery {
  page: number;
  pageSize: number;
  search?: string;
  projectId?: number | null;
  status?: TaskStatus | null;
  assignee?: string | null;
  subset?: string | null;
  /** CVAT sort expression, e.g. '-id', 'name', '-updated_date'. */
  sort?: string;
}

export interface TaskSummary {
  id: number;
  name: string;
  projectId: number | null;
  projectName: string | null;
  status: TaskStatus;
  size: number;
  mediaType: string;
  subset: string;
  owner: string | null;
  assignee: string | null;
  createdDate: string;
  updatedDate: string;
  jobs: { count: number; completed: number; validation: number };
  /** The local sync folder this task came from, when it was created by this app. */
  localFolder: { folderId: number; path: string } | null;
  /** The task's page in CVAT's web UI. */
  webUrl: string;
}

export interface TaskPage {
  count: number;
  results: TaskSummary[];
}

export interface ProjectSummary {
  id: number;
  name: string;
}

export interface FormatInfo {
  name: string;
  ext: string;
  dimension: string;
  enabled: boolean;
}

export interface FormatList {
  importers: FormatInfo[];
  exporters: FormatInfo[];
}

export type ExportTarget = { kind: 'task' | 'project'; id: number };

export interface ExportRequest {
  target: ExportTarget;
  format: string;
  withImages: boolean;
  /** Folder to save into; defaults to the downloads folder setting. */
  destination?: string | null;
}

export interface BackupRequest {
  target: ExportTarget;
  destination?: string | null;
}

export interface RestoreRequest {
  path: string;
  projectId?: number | null;
}

export interface ImportAnnotationsRequest {
  taskId: number;
  path: string;
  format: string;
  mode: 'replace' | 'append';
}

/** PATCH /api/tasks/{id}: the fields the app edits; absent = unchanged. */
export interface TaskEdit {
  taskId: number;
  name?: string;
  /** null = nobody. */
  assigneeId?: number | null;
  subset?: string;
  /** Move the task into this project (its labels must map by name; CVAT refuses otherwise). */
  projectId?: number;
  bugTracker?: string;
  /** Only for a task without a project: id = existing label (rename or delete), no id = new. */
  labels?: TaskLabelEdit[];
}

export interface TaskLabelEdit {
  id?: number;
  name?: string;
  color?: string;
  deleted?: boolean;
}

export interface UserSummary {
  id: number;
  username: string;
  fullName: string;
}

export interface TaskLabel {
  id: number;
  name: string;
  color: string;
  type: string;
  attributes: number;
}

/** One file of a verify report: on disk / in the journal, compared with the task's data/meta. */
export interface VerifyEntry {
  /** Path relative to the folder; for 'foreign' frames, the frame name in CVAT. */
  path: string;
  state: 'in-cvat' | 'missing' | 'not-uploaded' | 'foreign';
  taskId: number | null;
  frame: number | null;
  /** Why it is not in CVAT ('deleted frame 3 on the server', 'not on the server', …). */
  detail: string | null;
  /** Image size CVAT reports, when it reports one. */
  width: number | null;
  height: number | null;
}

export interface VerifyTaskResult {
  taskId: number;
  name: string;
  /** false when the task is gone or unreadable; `error` says why. */
  reachable: boolean;
  error: ContractError | null;
  frames: number;
  inCvat: number;
  missing: number;
  foreign: number;
}

export interface VerifyReport {
  folderId: number | null;
  path: string | null;
  checkedAt: number;
  tasks: VerifyTaskResult[];
  entries: VerifyEntry[];
  totals: { inCvat: number; missing: number; notUploaded: number; foreign: number };
}

export interface AnnotationCounts {
  tags: number;
  shapes: number;
  tracks: number;
}

/** CVAT annotation JSON (LabeledData) into a task: replace (PUT) or PATCH create/update/delete. */
export interface PushAnnotationsRequest {
  taskId: number;
  mode: 'replace' | 'append' | 'update' | 'delete';
  /** A file on this computer … */
  path?: string;
  /** … or its text (the web GUI reads a picked file); `name` is shown in errors. */
  content?: string;
  name?: string;
}

export interface FrameInfo {
  /** Task frame number (what annotators see, 0-based). */
  index: number;
  /** The frame's number in the source media (start frame and step applied). */
  sourceFrame: number;
  name: string;
  width: number | null;
  height: number | null;
  deleted: boolean;
}

export interface TaskFrames {
  taskId: number;
  size: number;
  chunkSize: number | null;
  startFrame: number;
  stopFrame: number;
  frameStep: number;
  deleted: number[];
  frames: FrameInfo[];
}

/** GET …/validation_layout: ground-truth (validation) frames and honeypots of a task. */
export interface ValidationLayoutInfo {
  taskId: number;
  /** null = no validation; 'gt' = a ground-truth job; 'gt_pool' = honeypots. */
  mode: string | null;
  framesPerJob: number | null;
  validationFrames: number[];
  disabledFrames: number[];
  honeypotCount: number;
  honeypotFrames: number[];
  honeypotRealFrames: number[];
}
