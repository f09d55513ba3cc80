-- When the last byte of an Upload-Multiple body was handed to the network. Until then CVAT cannot
-- have the whole body, and it acts on no request whose body did not arrive whole: such a part is
-- sent again into the same task. Only a part whose body went out whole and whose answer was
-- lost is ambiguous.
ALTER TABLE bulk_parts ADD COLUMN body_sent_at INTEGER;
-- What recovering cost each batch, shown on its transfer: requests sent again into the same task
-- and their bytes, tasks discarded, and answers lost after a whole body (ambiguous events).
ALTER TABLE batches ADD COLUMN resends INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN resent_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN discarded_tasks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN ambiguous_events INTEGER NOT NULL DEFAULT 0;
-- Discard-and-restart is bounded (restarts) and spaced: no new task for the batch before this
-- time, however often the app restarts in between.
ALTER TABLE batches ADD COLUMN restart_not_before INTEGER;
