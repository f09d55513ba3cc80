-- Results out and imports: one row per export/backup download, backup restore or annotation
-- import. The row carries everything needed to continue after a crash: the server request id,
-- the result URL, the .part file being written, the TUS Location of an upload.
CREATE TABLE transfers (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('download', 'restore', 'import')),
  -- download: 'dataset' | 'backup'; restore: 'backup'; import: 'annotations'
  subject TEXT NOT NULL CHECK (subject IN ('dataset', 'backup', 'annotations')),
  target_kind TEXT CHECK (target_kind IN ('task', 'project', 'job')),
  target_id INTEGER,
  format TEXT,
  with_images INTEGER NOT NULL DEFAULT 0 CHECK (with_images IN (0, 1)),
  extract INTEGER NOT NULL DEFAULT 0 CHECK (extract IN (0, 1)),
  import_mode TEXT CHECK (import_mode IN ('replace', 'append')),
  -- restore: the project to restore into (null = none)
  project_id INTEGER,
  -- download: the folder to save into; restore/import: the local file sent
  local_path TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN
    ('queued', 'exporting', 'downloading', 'uploading', 'processing', 'paused', 'done', 'failed', 'cancelled')),
  rq_id TEXT,
  result_url TEXT,
  -- the file being written (<name>.part) and the name it gets once verified
  part_path TEXT,
  final_path TEXT,
  extracted_path TEXT,
  tus_location TEXT,
  -- restore: the new task
  result_id INTEGER,
  bytes_done INTEGER NOT NULL DEFAULT 0,
  bytes_total INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  -- how many times an expired result was requested again
  rerequests INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  next_attempt_at INTEGER,
  -- the task's updated_date when the export was requested: the state the file holds
  source_updated_date TEXT,
  -- who asked: 'user' or an auto-export scope key ('folder:3', 'project:7')
  origin TEXT NOT NULL DEFAULT 'user',
  folder_id INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX transfers_by_state ON transfers (state, next_attempt_at);
CREATE INDEX transfers_by_created ON transfers (created_at);

-- Auto-export scopes: a project rule lives here; a sync folder's rule lives with the folder
-- and only its schedule bookkeeping is kept here.
CREATE TABLE auto_export_scopes (
  scope TEXT PRIMARY KEY,
  project_id INTEGER,
  rule TEXT,
  last_run_at INTEGER
) STRICT;

-- What each scope already exported per task and item ('backup', 'dataset:<format>:<0|1>'):
-- the task's updated_date at that time, so an unchanged result is not fetched again.
CREATE TABLE auto_export_marks (
  scope TEXT NOT NULL,
  task_id INTEGER NOT NULL,
  item TEXT NOT NULL,
  updated_date TEXT NOT NULL,
  transfer_id TEXT,
  at INTEGER NOT NULL,
  PRIMARY KEY (scope, task_id, item)
) STRICT;
