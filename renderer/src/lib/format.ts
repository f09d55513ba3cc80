// Human-readable numbers for the views. Pure functions, no state.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 || value >= 100 ? Math.round(value) : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? `${formatBytes(bytesPerSecond)}/s` : '—';
}

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** 0..100, or null when the total is unknown. */
export function percent(done: number, total: number): number | null {
  if (!(total > 0)) return null;
  return Math.max(0, Math.min(100, (done / total) * 100));
}

export function formatTime(ms: number): string {
  const d = new Date(ms);
  return d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

const STAGES: Record<string, string> = {
  planned: 'planned',
  creating: 'creating the task',
  created: 'task created',
  started: 'starting the upload',
  sending: 'sending files',
  finishing: 'finishing the upload',
  processing: 'CVAT is processing',
  'waiting-replan': 'files changed: planning again',
  'waiting-server': 'waiting for its server (sign in to it)',
  exporting: 'CVAT is exporting',
  downloading: 'downloading',
  uploading: 'uploading',
  extracting: 'extracting',
  restoring: 'CVAT is restoring',
  importing: 'CVAT is importing',
};

/** A transfer's stage in words; unknown stages are shown as they come, without dashes. */
export function describeStage(stage: string): string {
  return STAGES[stage] ?? stage.replace(/-/g, ' ');
}

/** Every count the UI shows in words: "1 task", "2 tasks", "1,024 files". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}
