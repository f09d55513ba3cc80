-- A batch belongs to the CVAT server (and, when its folder names one, the organization) it was
-- planned for: after the user switches servers it waits instead of going to the wrong one.
-- server '' = not bound yet (a batch without a folder): the engine binds it when it first runs.
ALTER TABLE batches ADD COLUMN server TEXT NOT NULL DEFAULT '';
-- null = the folder names no organization: the batch runs in whichever the connection uses.
ALTER TABLE batches ADD COLUMN org TEXT;
UPDATE batches SET
  server = ifnull((SELECT f.server FROM folders f WHERE f.id = batches.folder_id), ''),
  org = (SELECT f.org FROM folders f WHERE f.id = batches.folder_id);

-- A discarded task is deleted only on the server that holds it: a task id means nothing elsewhere,
-- and two servers may each have a task of the same id to delete. '' = recorded before servers were.
CREATE TABLE task_discards_by_server (
  server TEXT NOT NULL,
  task_id INTEGER NOT NULL,
  batch_id INTEGER REFERENCES batches (id) ON DELETE SET NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (server, task_id)
) STRICT;
INSERT INTO task_discards_by_server (server, task_id, batch_id, reason, attempts, last_error, created_at)
  SELECT ifnull((SELECT b.server FROM batches b WHERE b.id = d.batch_id), ''), d.task_id, d.batch_id,
    d.reason, d.attempts, d.last_error, d.created_at
  FROM task_discards d;
DROP TABLE task_discards;
ALTER TABLE task_discards_by_server RENAME TO task_discards;
CREATE INDEX task_discards_by_batch ON task_discards (batch_id);
