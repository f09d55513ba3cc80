// Sync folders: the rule a folder follows, its health and what a preview of it finds.

export type SplitPolicy =
  { kind: 'subfolder' } | { kind: 'count'; count: number } | { kind: 'file' };

export type SortingMethod = 'lexicographical' | 'natural' | 'predefined' | 'random';

/** Every field of CVAT's create-task form that a folder rule can preset. */
export interface TaskOptions {
  imageQuality: number;
  segmentSize?: number | null;
  overlap?: number | null;
  sortingMethod?: SortingMethod;
  chunkSize?: number | null;
  subset?: string | null;
  startFrame?: number | null;
  stopFrame?: number | null;
  frameStep?: number | null;
  bugTracker?: string | null;
  useZipChunks?: boolean;
  useCache?: boolean;
}

export interface LabelAttributeSpec {
  name: string;
  mutable?: boolean;
  input_type: 'checkbox' | 'radio' | 'number' | 'text' | 'select';
  default_value?: string;
  values: string[];
}

export interface LabelSpec {
  name: string;
  color?: string;
  type?: string;
  attributes?: LabelAttributeSpec[];
}

export type FolderTarget =
  { kind: 'project'; projectId: number } | { kind: 'labels'; labels: LabelSpec[] };

export interface AutoExportRule {
  formats: string[];
  withImages: boolean;
  backup: boolean;
  /** Local folder the results go to. */
  destination: string;
  /** 'completed': when a task becomes completed; 'schedule': every intervalMinutes. */
  trigger: 'completed' | 'schedule';
  intervalMinutes?: number | null;
  extract?: boolean;
}

export interface FolderRule {
  path: string;
  target: FolderTarget;
  org?: string | null;
  split: SplitPolicy;
  /** null = the defaults ({folder}/{subfolder}, {folder}, {folder}/{file}, {folder} #{index}). */
  nameTemplate?: string | null;
  include: string[];
  exclude: string[];
  settleSeconds: number;
  maxFileSizeBytes?: number | null;
  /** Poll instead of OS events (network shares). */
  polling: boolean;
  taskOptions: TaskOptions;
  autoExport?: AutoExportRule | null;
  /**
   * When added (again) after the data folder was lost: tasks already on the server whose name,
   * frame names and count match the plan are recorded as done instead of uploaded again.
   */
  adoptExisting?: boolean;
}

export type FolderHealthState =
  'scanning' | 'watching' | 'polling' | 'watch-limit' | 'missing' | 'paused' | 'error';

export interface FolderHealth {
  state: FolderHealthState;
  message: string | null;
  fix: string | null;
}

export interface FolderCounts {
  files: number;
  uploaded: number;
  pending: number;
  ignored: number;
  failed: number;
}

export interface FolderInfo {
  id: number;
  rule: FolderRule;
  paused: boolean;
  health: FolderHealth;
  counts: FolderCounts;
  lastScanAt: number | null;
}

export interface IgnoredFile {
  path: string;
  reason: string;
}

export interface PlannedTaskPreview {
  name: string;
  files: number;
  bytes: number;
  media: 'images' | 'video' | 'audio' | 'archive' | 'pdf';
}

export interface FolderPreview {
  tasks: PlannedTaskPreview[];
  ignored: IgnoredFile[];
  /** True when the folder held more files than the preview looked at. */
  truncated: boolean;
}
