// Server state: one JSON document persisted atomically (temp file + fsync + rename) plus media
// files on disk. Writes are coalesced, but save() resolves only once the state that contains the
// caller's mutation is durable, so an acknowledged mutation survives a kill.
import type { Ledger } from './ledger.js';
import { mkdirSync, existsSync, readFileSync } from 'node:fs';
import { open, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export type Stage = 'annotation' | 'validation' | 'acceptance';
export type JobState = 'new' | 'in progress' | 'completed' | 'rejected';

export interface UserRec {
  id: number;
  username: string;
  password: string;
  email: string;
  firstName: string;
  lastName: string;
  key: string | null; // legacy login key
  dateJoined: number;
  lastLogin: number | null;
}

export interface PatRec {
  id: number;
  userId: number;
  name: string;
  value: string;
  readOnly: boolean;
  expiryDate: number | null;
  createdDate: number;
  updatedDate: number;
  lastUsedDate: number | null;
}

export interface SessionRec {
  id: string;
  userId: number;
  csrf: string;
}

export interface OrgRec {
  id: number;
  slug: string;
  name: string;
  ownerId: number;
  createdDate: number;
  updatedDate: number;
}

export interface MembershipRec {
  id: number;
  userId: number;
  orgId: number;
  role: 'owner' | 'maintainer' | 'supervisor' | 'worker';
  joinedDate: number;
}

export interface AttrRec {
  id: number;
  name: string;
  mutable: boolean;
  input_type: string;
  default_value: string;
  values: string[];
}

export interface LabelRec {
  id: number;
  name: string;
  color: string;
  type: string;
  attributes: AttrRec[];
}

export interface StorageRec {
  id: number;
  location: 'local' | 'cloud_storage';
  cloud_storage_id: number | null;
}

export interface Shape {
  id?: number;
  type: string;
  frame: number;
  label_id: number;
  group?: number | null;
  source?: string;
  occluded?: boolean;
  outside?: boolean;
  z_order?: number;
  rotation?: number;
  points: number[];
  attributes?: Array<{ spec_id: number; value: string }>;
}

export interface Annotations {
  version: number;
  tags: Array<{ id?: number; frame: number; label_id: number; attributes?: unknown[] }>;
  shapes: Shape[];
  tracks: unknown[];
}

export interface ProjectRec {
  id: number;
  name: string;
  ownerId: number;
  assigneeId: number | null;
  orgId: number | null;
  bugTracker: string;
  labels: LabelRec[];
  createdDate: number;
  updatedDate: number;
  /** null unless set at creation (CVAT's serializers.py `_configure_related_storages`). */
  sourceStorage: StorageRec | null;
  targetStorage: StorageRec | null;
}

export interface FrameRec {
  name: string; // path inside the task (image name, or the archive member path)
  width: number;
  height: number;
  /** A honeypot (placeholder) frame: the task frame of the validation-pool image it shows. */
  realFrame?: number;
}

/** CVAT's ValidationLayout (engine/models.py): task frame numbers. */
export interface ValidationLayoutRec {
  mode: 'gt' | 'gt_pool';
  framesPerJobCount: number | null;
  frames: number[];
  disabledFrames: number[];
}

export interface DataRec {
  id: number;
  /** Names registered for this task's upload folder, in arrival order. */
  clientFiles: string[];
  size: number;
  imageQuality: number | null;
  chunkSize: number | null;
  startFrame: number;
  stopFrame: number;
  frameFilter: string;
  sortingMethod: string;
  mediaType: '' | 'image' | 'video' | 'point_cloud' | 'audio';
  originalChunkType: string;
  compressedChunkType: string;
  frames: FrameRec[];
  /** PATCH …/data/meta deleted_frames (task frame numbers), as stored by CVAT. */
  deletedFrames?: number[];
  /** Set at creation from validation_params (validation-layout.ts). */
  validationLayout?: ValidationLayoutRec;
}

export interface TaskRec {
  id: number;
  name: string;
  ownerId: number;
  assigneeId: number | null;
  assigneeUpdatedDate: number | null;
  orgId: number | null;
  projectId: number | null;
  bugTracker: string;
  subset: string;
  overlap: number | null;
  segmentSize: number;
  consensusReplicas: number;
  labels: LabelRec[];
  createdDate: number;
  updatedDate: number;
  /** null unless set at creation (CVAT's serializers.py `_configure_related_storages`). */
  sourceStorage: StorageRec | null;
  targetStorage: StorageRec | null;
  data: DataRec | null;
  mode: '' | 'annotation' | 'interpolation';
  dimension: '' | '1d' | '2d' | '3d';
  annotations: Annotations;
}

export interface JobRec {
  id: number;
  taskId: number;
  startFrame: number;
  stopFrame: number;
  frameCount: number;
  stage: Stage;
  state: JobState;
  assigneeId: number | null;
  assigneeUpdatedDate: number | null;
  createdDate: number;
  updatedDate: number;
  /** Absent = annotation; the ground truth job of a task with validation. */
  type?: 'ground_truth';
}

export type UploadKind = 'media' | 'annotations' | 'dataset' | 'backup';

export interface UploadRec {
  id: string; // `${userId}_${uuid4}`
  userId: number;
  kind: UploadKind;
  target: 'task' | 'project' | 'job';
  targetId: number | null; // null for backups
  filename: string; // final name (media) or the upload id (other kinds)
  originalName: string;
  filetype: string;
  length: number;
  offset: number;
  createdDate: number;
  complete: boolean;
}

export type RequestStatus = 'queued' | 'started' | 'finished' | 'failed';

export interface RequestRec {
  id: string;
  kind:
    | 'create:task'
    | 'export:dataset'
    | 'export:annotations'
    | 'export:backup'
    | 'import:backup'
    | 'import:annotations'
    | 'import:dataset';
  status: RequestStatus;
  message: string;
  progress: number | null;
  target: 'task' | 'project' | 'job';
  projectId: number | null;
  taskId: number | null;
  jobId: number | null;
  orgId: number | null;
  format: string | null;
  lightweight: boolean | null;
  ownerId: number;
  createdDate: number;
  startedDate: number | null;
  finishedDate: number | null;
  expiryDate: number | null;
  resultId: number | null;
  /** Path+query of the download URL; made absolute with the caller's host when shown. */
  resultPath: string | null;
  resultFile: string | null; // file under dataDir/results
  resultFilename: string | null; // Content-Disposition name
  resultSize: number | null;
  syntheticSize: number | null; // generated on the fly instead of read from resultFile
  /** Parameters the worker needs (validated options, upload ids, etc.). */
  params: Record<string, unknown>;
}

export interface State {
  version: 1;
  seq: Record<
    | 'user'
    | 'org'
    | 'membership'
    | 'project'
    | 'task'
    | 'job'
    | 'label'
    | 'attr'
    | 'data'
    | 'storage'
    | 'pat'
    | 'shape',
    number
  >;
  clockSkewMs: number;
  users: UserRec[];
  pats: PatRec[];
  sessions: SessionRec[];
  orgs: OrgRec[];
  memberships: MembershipRec[];
  projects: ProjectRec[];
  tasks: TaskRec[];
  jobs: JobRec[];
  requests: RequestRec[];
  uploads: UploadRec[];
  /** Observation for tests (ledger.ts); absent in states saved before it existed. */
  ledger?: Ledger;
}

export function emptyState(): State {
  return {
    version: 1,
    seq: {
      user: 0,
      org: 0,
      membership: 0,
      project: 0,
      task: 0,
      job: 0,
      label: 0,
      attr: 0,
      data: 0,
      storage: 0,
      pat: 0,
      shape: 0,
    },
    clockSkewMs: 0,
    users: [],
    pats: [],
    sessions: [],
    orgs: [],
    memberships: [],
    projects: [],
    tasks: [],
    jobs: [],
    requests: [],
    uploads: [],
  };
}

export class Store {
  readonly state: State;
  readonly fresh: boolean;
  private requested = 0;
  private written = 0;
  private writer: Promise<void> | null = null;
  private closed = false;
  private waiters: Array<{ gen: number; resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(readonly dataDir: string) {
    for (const dir of ['tasks', 'uploads', 'results', 'tmp'])
      mkdirSync(join(dataDir, dir), { recursive: true });
    const file = this.stateFile;
    this.fresh = !existsSync(file);
    this.state = this.fresh ? emptyState() : (JSON.parse(readFileSync(file, 'utf8')) as State);
  }

  get stateFile(): string {
    return join(this.dataDir, 'state.json');
  }

  /** Server clock: wall time plus the skew set by advanceTime(). */
  now(): number {
    return Date.now() + this.state.clockSkewMs;
  }

  nextId(kind: keyof State['seq']): number {
    return ++this.state.seq[kind];
  }

  taskDir(taskId: number): string {
    return join(this.dataDir, 'tasks', String(taskId));
  }

  taskUploadDir(taskId: number): string {
    return join(this.taskDir(taskId), 'raw');
  }

  uploadFile(uploadId: string): string {
    return join(this.dataDir, 'uploads', uploadId);
  }

  resultPath(file: string): string {
    return join(this.dataDir, 'results', file);
  }

  tmpPath(name: string): string {
    return join(this.dataDir, 'tmp', name);
  }

  /** Persists the current state; resolves when a snapshot including every mutation so far is on disk. */
  save(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const gen = ++this.requested;
    const done = new Promise<void>((resolve, reject) =>
      this.waiters.push({ gen, resolve, reject }),
    );
    if (!this.writer) this.writer = this.flushLoop();
    return done;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.written < this.requested) {
        const gen = this.requested;
        const snapshot = JSON.stringify(this.state);
        await writeAtomic(this.stateFile, snapshot);
        this.written = gen;
        const ready = this.waiters.filter((w) => w.gen <= gen);
        this.waiters = this.waiters.filter((w) => w.gen > gen);
        for (const w of ready) w.resolve();
      }
    } catch (err) {
      for (const w of this.waiters.splice(0)) w.reject(err);
    } finally {
      this.writer = null;
      if (this.written < this.requested && this.waiters.length > 0) this.writer = this.flushLoop();
    }
  }

  /** Saves from now on are dropped (the server closed); writes already queued still finish. */
  close(): void {
    this.closed = true;
  }

  /** Waits for any pending write (used by close()). */
  async idle(): Promise<void> {
    while (this.writer) await this.writer;
  }
}

let tmpSeq = 0;

export async function writeAtomic(file: string, content: string | Buffer): Promise<void> {
  // Unique per write: a server being closed and its successor on the same folder may overlap.
  const tmp = `${file}.${process.pid}.${++tmpSeq}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(join(file, '..'), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
