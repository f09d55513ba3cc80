-- Several agents (each its own journal) may sync into one CVAT under one account. Each batch's
-- task is created under a claim name that only this journal's agent uses (its agent id and the
-- batch id), so that a lost creation answer is resolved by that exact name alone; the task is
-- then renamed to its default name before data is attached. named_task_id is the task whose
-- rename was acknowledged: a task of a later fresh start is renamed again. unseen_creations
-- counts creations whose answer was lost and whose task was not found: one may still land, so
-- the batch looks for its claim once more when it is done.
CREATE TABLE task_claims (
  batch_id INTEGER PRIMARY KEY REFERENCES batches(id) ON DELETE CASCADE,
  claim TEXT NOT NULL,
  named_task_id INTEGER,
  named_at INTEGER,
  unseen_creations INTEGER NOT NULL DEFAULT 0
);
