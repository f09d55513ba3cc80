-- Files and ledger entries now change state in the same transaction as their batch. Journals
-- written before that may hold a finished batch whose files were not yet brought in line: done
-- batches make their planned files uploaded and give their ledger entries the task id, cancelled
-- ones set their planned files aside and forget their content.
UPDATE files SET state = 'uploaded'
  WHERE state = 'planned' AND batch_id IN (SELECT id FROM batches WHERE state = 'done');
UPDATE files SET state = 'ignored', reason = 'cancelled',
    detail = 'the batch it was planned in (#' || batch_id || ') was cancelled'
  WHERE state = 'planned' AND batch_id IN (SELECT id FROM batches WHERE state = 'cancelled');
UPDATE content_ledger
  SET task_id = (SELECT task_id FROM batches b WHERE b.id = content_ledger.batch_id)
  WHERE task_id IS NULL
    AND batch_id IN (SELECT id FROM batches WHERE state = 'done' AND task_id IS NOT NULL);
DELETE FROM content_ledger
  WHERE task_id IS NULL AND batch_id IN (SELECT id FROM batches WHERE state = 'cancelled');
