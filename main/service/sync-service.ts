// The one class that implements the UI contract on top of the engine. Every method answers a
// Result and never throws; engine and connection changes become contract events. This file
// holds the connection, doctor and task methods (the task calls themselves: tasks-service.ts);
// the folder, transfer and settings methods are inherited from folder-transfer-calls.ts, the
// Result wrapper and event plumbing from contract-base.ts, the status snapshot and its pushes
// live in status-snapshot.ts.
import type {
  AnnotationCounts,
  BackupRequest,
  ConnectionInfo,
  DoctorFinding,
  ExportRequest,
  FormatList,
  ImportAnnotationsRequest,
  Organization,
  ProjectSummary,
  PushAnnotationsRequest,
  RestoreRequest,
  Result,
  Settings,
  SignInRequest,
  StatusSnapshot,
  TaskEdit,
  TaskFrames,
  TaskLabel,
  TaskPage,
  TaskQuery,
  TaskSummary,
  Transfer,
  UserSummary,
  ValidationLayoutInfo,
  VerifyReport,
} from '../../preload/contract.js';
import type { CvatApi } from '../cvat/api.js';
import { runDoctor } from '../cvat/doctor.js';
import type { NetStack } from '../cvat/net-stack.js';
import type { PinnedCertificate } from '../cvat/tls-trust.js';
import type { Connection } from './connection.js';
import type { ServiceParts } from './contract-base.js';
import type { Folders } from '../engine/folders/folders.js';
import { FolderAndTransferCalls } from './folder-transfer-calls.js';
import type { SyncService } from './host.js';
import { TasksService } from './tasks-service.js';
import type { TransferService } from './transfer-service.js';

export type { ServiceParts } from './contract-base.js';

type Frames = { taskId: number; delete?: number[]; restore?: number[] };
type FrameRequest = { taskId: number; frame: number; quality: 'compressed' | 'original' };
type LayoutChange = { taskId: number; shuffleHoneypots?: boolean; disableFrames?: number[] };
type Pulled = { path: string; counts: AnnotationCounts };

export class SyncServiceImpl extends FolderAndTransferCalls implements SyncService {
  private readonly tasks: TasksService;
  private closed = false;

  constructor(parts: ServiceParts) {
    super(parts);
    this.tasks = new TasksService({
      ...parts,
      reporter: this.reporter,
      downloadsDir: () => this.settings.current.downloadsDir,
      writable: () => this.writable(),
    });
    parts.connection.onChange((info) => {
      this.bus.emit('connection', info);
      this.emitStatus();
    });
  }

  get connection(): Connection {
    return this.parts.connection;
  }

  get folderService(): Folders {
    return this.parts.folders;
  }

  get transferService(): TransferService {
    return this.parts.transfers;
  }

  /** The network stack (proxy, CA files) with these certificates trusted: the doctor's. */
  networkFor(trusted: readonly PinnedCertificate[]): NetStack {
    return this.parts.network.stackFor(trusted);
  }

  get currentSettings(): Settings {
    return this.settings.current;
  }

  // -- the contract ---------------------------------------------------------------------------

  getStatus(): Promise<Result<StatusSnapshot>> {
    return this.run('get status', () => this.reporter.current());
  }

  getConnection(): Promise<Result<ConnectionInfo>> {
    return this.run('get connection', () => this.parts.connection.current);
  }

  /** Resolves once the folders of the new server run, so that folder calls right after work. */
  signIn(request: SignInRequest): Promise<Result<ConnectionInfo>> {
    return this.reconnect('sign in', () => this.parts.connection.signIn(request));
  }

  signOut(): Promise<Result<ConnectionInfo>> {
    return this.reconnect('sign out', () => this.parts.connection.signOut());
  }

  listOrganizations(): Promise<Result<Organization[]>> {
    return this.run('list organizations', async () => {
      const out: Organization[] = [];
      for await (const org of this.api().organizations())
        out.push({ id: org.id, slug: org.slug, name: org.name });
      return out;
    });
  }

  setOrganization(request: { org: string | null }): Promise<Result<ConnectionInfo>> {
    return this.reconnect('set organization', () =>
      this.parts.connection.setOrganization(request.org),
    );
  }

  runDoctor(): Promise<Result<DoctorFinding[]>> {
    return this.run('run doctor', async () => {
      const credentials = this.parts.connection.credentials;
      if (!credentials) throw this.parts.connection.require();
      const chunkSizeMiB = this.settings.current.chunkSizeMiB;
      return runDoctor({
        server: credentials.server,
        auth: credentials.auth,
        org: credentials.org,
        net: this.parts.network.stackFor(credentials.trusted ?? []),
        probeBodyBytes: Math.max(chunkSizeMiB, 100) * 1024 * 1024,
        chunkBytes: chunkSizeMiB * 1024 * 1024,
      });
    });
  }

  listTasks(query: TaskQuery): Promise<Result<TaskPage>> {
    return this.run('list tasks', () => this.tasks.listTasks(query));
  }

  listProjects(): Promise<Result<ProjectSummary[]>> {
    return this.run('list projects', () => this.tasks.listProjects());
  }

  getTaskPreview(request: { taskId: number }): Promise<Result<string | null>> {
    return this.run('get task preview', () => this.tasks.preview(request.taskId));
  }

  deleteTasks(request: { ids: number[] }): Promise<Result<{ deleted: number[] }>> {
    return this.run('delete tasks', () => this.tasks.deleteTasks(request.ids));
  }

  openInCvat(request: { taskId: number }): Promise<Result<string>> {
    return this.run('open in CVAT', () => this.tasks.openInCvat(request.taskId));
  }

  listFormats(): Promise<Result<FormatList>> {
    return this.run('list formats', () => this.tasks.listFormats());
  }

  exportDataset(request: ExportRequest): Promise<Result<Transfer>> {
    return this.run('export dataset', () => this.tasks.exportDataset(request));
  }

  backup(request: BackupRequest): Promise<Result<Transfer>> {
    return this.run('backup', () => this.tasks.backup(request));
  }

  restoreBackup(request: RestoreRequest): Promise<Result<Transfer>> {
    return this.run('restore backup', () => this.tasks.restoreBackup(request));
  }

  importAnnotations(request: ImportAnnotationsRequest): Promise<Result<Transfer>> {
    return this.run('import annotations', () => this.tasks.importAnnotations(request));
  }

  editTask(edit: TaskEdit): Promise<Result<TaskSummary>> {
    return this.run('edit task', () => this.tasks.editTask(edit));
  }

  searchUsers(request: { search: string }): Promise<Result<UserSummary[]>> {
    return this.run('search users', () => this.tasks.searchUsers(request.search));
  }

  listTaskLabels(request: { taskId: number }): Promise<Result<TaskLabel[]>> {
    return this.run('list task labels', () => this.tasks.listTaskLabels(request.taskId));
  }

  verifyFolder(which: { id?: number; path?: string }): Promise<Result<VerifyReport>> {
    return this.run('verify folder', () => this.tasks.verifyFolder(which));
  }

  verifyTask(request: { taskId: number }): Promise<Result<VerifyReport>> {
    return this.run('verify task', () => this.tasks.verifyTask(request.taskId));
  }

  getTaskFrames(request: { taskId: number }): Promise<Result<TaskFrames>> {
    return this.run('get task frames', () => this.tasks.frames(request.taskId));
  }

  getFrame(request: FrameRequest): Promise<Result<string>> {
    return this.run('get frame', () => this.tasks.frame(request));
  }

  setDeletedFrames(request: Frames): Promise<Result<TaskFrames>> {
    return this.run('change deleted frames', () => this.tasks.setDeletedFrames(request));
  }

  getValidationLayout(request: { taskId: number }): Promise<Result<ValidationLayoutInfo>> {
    return this.run('get validation layout', () => this.tasks.validationLayout(request.taskId));
  }

  updateValidationLayout(request: LayoutChange): Promise<Result<ValidationLayoutInfo>> {
    return this.run('update validation layout', () => this.tasks.updateValidationLayout(request));
  }

  pullAnnotations(request: { taskId: number; path?: string | null }): Promise<Result<Pulled>> {
    return this.run('pull annotations', () => this.tasks.pullAnnotations(request));
  }

  pushAnnotations(request: PushAnnotationsRequest): Promise<Result<AnnotationCounts>> {
    return this.run('push annotations', () => this.tasks.pushAnnotations(request));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reporter.close();
    await this.parts.folders.stop();
    await this.parts.transfers.stop();
    this.parts.closeJournal();
    this.parts.lock?.release();
    this.parts.network.close();
  }

  // -- helpers ---------------------------------------------------------------------------------

  api(): CvatApi {
    return this.parts.connection.require();
  }

  /** A connection change; resolves once the folders of the new server run. */
  private reconnect(
    operation: string,
    connect: () => Promise<ConnectionInfo>,
  ): Promise<Result<ConnectionInfo>> {
    return this.run(operation, async () => {
      const info = await connect();
      await this.parts.folders.settled();
      return info;
    });
  }
}
