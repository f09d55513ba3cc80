-- Sync folders: their rules, the files seen in them, the batches planned from them, and the
-- content ledger that keeps one piece of content from reaching the same target twice.

CREATE TABLE folders (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  -- The CVAT server and organization the rule belongs to ('' = not yet bound to a server).
  server TEXT NOT NULL DEFAULT '',
  org TEXT,
  target_project_id INTEGER,
  -- JSON array of labels in CVAT's format, when the target is not a project.
  target_labels TEXT,
  -- 'subfolder' | 'count:N' | 'file'
  split TEXT NOT NULL CHECK (split IN ('subfolder', 'file') OR split GLOB 'count:[1-9]*'),
  name_template TEXT,
  include_globs TEXT NOT NULL DEFAULT '[]',
  exclude_globs TEXT NOT NULL DEFAULT '[]',
  settle_seconds REAL NOT NULL DEFAULT 10 CHECK (settle_seconds >= 0),
  max_file_size INTEGER,
  polling INTEGER NOT NULL DEFAULT 0 CHECK (polling IN (0, 1)),
  task_options TEXT NOT NULL,
  -- Stored for the auto-export manager; the folder sync never reads it.
  auto_export TEXT,
  paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  -- 1 = listed by `folders ls`; 0 = an ad-hoc folder of `sync DIR --once`, kept so that a
  -- re-run uploads only what is new.
  saved INTEGER NOT NULL DEFAULT 1 CHECK (saved IN (0, 1)),
  last_scan_at INTEGER,
  -- Rolling {index} of count:N batches.
  next_index INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  CHECK ((target_project_id IS NULL) <> (target_labels IS NULL))
) STRICT;
CREATE UNIQUE INDEX folders_by_path ON folders (server, path);

-- One row per path ever seen under a folder. `state` is the file's lifecycle; presence is kept
-- apart in `missing_since` so that a vanished file keeps its history (uploaded stays uploaded).
CREATE TABLE files (
  id INTEGER PRIMARY KEY,
  folder_id INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
  -- Relative POSIX path, and its directory ('' for the folder's root) for per-directory scans.
  rel_path TEXT NOT NULL,
  dir TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('seen', 'stable', 'planned', 'uploaded', 'ignored', 'failed')),
  -- For 'ignored' and 'failed': a stable code (see main/core/ignore-reason.ts) and a message.
  reason TEXT,
  detail TEXT,
  sha256 TEXT,
  first_seen_at INTEGER NOT NULL,
  -- When the scanner last wrote this row; a present row is confirmed at folders.last_scan_at.
  last_seen_at INTEGER NOT NULL,
  -- When size or mtime were last seen to change: the settle window counts from here.
  changed_at INTEGER NOT NULL,
  missing_since INTEGER,
  batch_id INTEGER,
  UNIQUE (folder_id, rel_path)
) STRICT;
CREATE INDEX files_by_dir ON files (folder_id, dir);
CREATE INDEX files_by_state ON files (folder_id, state, changed_at);
CREATE INDEX files_by_batch ON files (batch_id) WHERE batch_id IS NOT NULL;

-- Every batch the planner handed to the upload engine: keys and names stay unique per folder,
-- and a group planned once gets a new key (CVAT cannot append to a task).
CREATE TABLE folder_plans (
  id INTEGER PRIMARY KEY,
  folder_id INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
  group_key TEXT NOT NULL,
  key TEXT NOT NULL,
  name TEXT NOT NULL,
  batch_id INTEGER NOT NULL,
  files INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  planned_at INTEGER NOT NULL,
  UNIQUE (folder_id, key)
) STRICT;
CREATE INDEX folder_plans_by_group ON folder_plans (folder_id, group_key);
CREATE INDEX folder_plans_by_name ON folder_plans (folder_id, name);

-- Content already sent (or on its way) to a target: 'server|org|project:4' or
-- 'server|org|folder:/abs/path' for label-only rules. No foreign key: it outlives the folder row,
-- so removing and re-adding a folder does not upload its media again.
CREATE TABLE content_ledger (
  target_key TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  folder_id INTEGER,
  rel_path TEXT NOT NULL,
  batch_id INTEGER,
  task_id INTEGER,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (target_key, sha256)
) STRICT;
CREATE INDEX content_ledger_by_batch ON content_ledger (batch_id) WHERE batch_id IS NOT NULL;
