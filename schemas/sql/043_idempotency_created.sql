-- 043_idempotency_created.sql - Idempotency-Key records are purged after
-- retention_idempotency (functions/80_retention.sql), oldest first, in
-- batches: read from this index instead of scanning the whole table.
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
