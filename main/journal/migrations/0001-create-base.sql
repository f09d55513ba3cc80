-- Key/value settings and the activity log shared by every part of the app.
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE activity (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  level TEXT NOT NULL CHECK (level IN ('info', 'warn', 'error')),
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  hint TEXT,
  folder_id INTEGER,
  task_id INTEGER,
  transfer_id TEXT
) STRICT;
CREATE INDEX activity_by_level ON activity (level, id);
CREATE INDEX activity_by_folder ON activity (folder_id, id);
