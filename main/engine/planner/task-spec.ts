// What a folder rule asks CVAT for: the create-task body (without the name) and the
// Upload-Finish options, plus the key of the target used by the content ledger.
import type { FolderRule, TaskOptions } from '../../model/index.js';
import type { TaskMedia } from '../../core/split-policy.js';
import type { DataRequest, TaskCreateSpec } from '../../cvat/api.js';

/** The create-task body a batch carries; the name is the batch's own. */
export type BatchTaskSpec = Omit<TaskCreateSpec, 'name'>;

export function taskSpecOf(rule: FolderRule): BatchTaskSpec {
  const o = rule.taskOptions;
  const spec: BatchTaskSpec =
    rule.target.kind === 'project'
      ? { project_id: rule.target.projectId }
      : { labels: rule.target.labels };
  if (o.subset) spec.subset = o.subset;
  if (o.segmentSize != null) spec.segment_size = o.segmentSize;
  if (o.overlap != null) spec.overlap = o.overlap;
  if (o.bugTracker) spec.bug_tracker = o.bugTracker;
  return spec;
}

export function dataRequestOf(o: TaskOptions, media: TaskMedia): DataRequest {
  const data: DataRequest = { image_quality: o.imageQuality };
  // Sorting only means something for a set of images; a single video or archive keeps its order.
  if (o.sortingMethod && media === 'images') data.sorting_method = o.sortingMethod;
  if (o.chunkSize != null) data.chunk_size = o.chunkSize;
  if (o.startFrame != null) data.start_frame = o.startFrame;
  if (o.stopFrame != null) data.stop_frame = o.stopFrame;
  if (o.frameStep != null && o.frameStep > 1) data.frame_filter = `step=${o.frameStep}`;
  if (o.useZipChunks !== undefined) data.use_zip_chunks = o.useZipChunks;
  if (o.useCache !== undefined) data.use_cache = o.useCache;
  return data;
}

/**
 * Content is de-duplicated per target: a project on a server (any folder feeding it), or, for
 * rules with their own labels, the folder's path on that server (surviving remove + re-add).
 */
export function targetKeyOf(server: string, rule: FolderRule): string {
  const org = rule.org ?? '';
  return rule.target.kind === 'project'
    ? `${server}|${org}|project:${rule.target.projectId}`
    : `${server}|${org}|folder:${rule.path}`;
}
