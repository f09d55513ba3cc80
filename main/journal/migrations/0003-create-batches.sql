-- Task batches and their transfer state (ARCHITECTURE.md § Data flow, steps 4-5).
-- File state (what to send) is kept apart from transfer state (how far it got): batch_files
-- vs tus_uploads / bulk_parts. No foreign key to the planner's `files` table on purpose: the
-- two halves migrate independently; file_id is a plain reference.
CREATE TABLE batches (
  id INTEGER PRIMARY KEY,
  folder_id INTEGER,
  key TEXT NOT NULL,
  name TEXT NOT NULL,
  task_spec TEXT NOT NULL,
  data_request TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('planned', 'creating', 'created', 'started', 'sending',
    'finishing', 'processing', 'done', 'failed', 'cancelled')),
  paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
  -- Set when a file changed after planning: the planner must re-plan before it runs again.
  replan_reason TEXT,
  task_id INTEGER,
  rq_id TEXT,
  -- When we last decided to POST /api/tasks: a task found by name must be younger than this.
  create_started_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  restarts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at INTEGER,
  bytes_total INTEGER NOT NULL,
  bytes_done INTEGER NOT NULL DEFAULT 0,
  files_total INTEGER NOT NULL,
  files_done INTEGER NOT NULL DEFAULT 0,
  task_size INTEGER,
  job_count INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
) STRICT;
CREATE UNIQUE INDEX batches_by_key ON batches (ifnull(folder_id, -1), key);
CREATE UNIQUE INDEX batches_by_name ON batches (ifnull(folder_id, -1), name);
CREATE INDEX batches_by_state ON batches (state, id);
CREATE INDEX batches_by_task ON batches (task_id);

CREATE TABLE bulk_parts (
  id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
  task_id INTEGER NOT NULL,
  -- 'sending' found after a crash, or 'unknown', means the server may have appended part of it.
  state TEXT NOT NULL CHECK (state IN ('sending', 'done', 'unknown')),
  files INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  error TEXT,
  started_at INTEGER NOT NULL,
  finished_at INTEGER
) STRICT;
CREATE INDEX bulk_parts_by_batch ON bulk_parts (batch_id, id);

CREATE TABLE batch_files (
  id INTEGER PRIMARY KEY,
  batch_id INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  file_id INTEGER,
  abs_path TEXT NOT NULL,
  rel_path TEXT NOT NULL,
  planned_name TEXT NOT NULL,
  -- The basename inside the task; differs from planned_name only after a collision (stem_N.ext).
  upload_name TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  sha256 TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'skipped')),
  skip_reason TEXT,
  -- null = by size against the engine's bulk threshold; 'tus' when a 413 forced it out of a bulk.
  via TEXT CHECK (via IN ('tus', 'bulk')),
  bulk_part_id INTEGER REFERENCES bulk_parts (id) ON DELETE SET NULL,
  UNIQUE (batch_id, upload_name),
  UNIQUE (batch_id, position)
) STRICT;
CREATE INDEX batch_files_by_file ON batch_files (file_id);

CREATE TABLE tus_uploads (
  batch_file_id INTEGER PRIMARY KEY REFERENCES batch_files (id) ON DELETE CASCADE,
  task_id INTEGER NOT NULL,
  -- 'creating': POST sent, Location not yet recorded; 'unknown': creation failed mid-way.
  state TEXT NOT NULL CHECK (state IN ('creating', 'unknown', 'sending', 'done')),
  location TEXT,
  upload_filename TEXT,
  offset INTEGER NOT NULL DEFAULT 0,
  length INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

-- Background requests we wait for (task creation now; other flows may add theirs).
CREATE TABLE requests (
  rq_id TEXT PRIMARY KEY,
  batch_id INTEGER REFERENCES batches (id) ON DELETE CASCADE,
  task_id INTEGER,
  operation TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'started', 'finished', 'failed', 'gone')),
  message TEXT,
  progress REAL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX requests_by_batch ON requests (batch_id);

-- Tasks this app created and must delete (a discarded attempt, a cancelled batch). A row
-- stays until the DELETE succeeded, so a new task for the batch never coexists with an old one.
CREATE TABLE task_discards (
  task_id INTEGER PRIMARY KEY,
  batch_id INTEGER REFERENCES batches (id) ON DELETE SET NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX task_discards_by_batch ON task_discards (batch_id);
