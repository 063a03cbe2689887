-- 009_ready_probe.sql - /readyz's write probe (store_write_probe() in
-- src/store/conn.c).  Nothing is ever kept here: each probe, in a
-- transaction it rolls back, truncates the table (which gives it a new,
-- empty file) and inserts a row, so that PostgreSQL must extend the file by
-- a block, and it writes that block at once: on a full disk the probe fails
-- with SQLSTATE 53100, as the uploads do, where a SELECT or a rolled-back
-- write to a page with room would have succeeded.

CREATE TABLE ready_probe (at timestamptz NOT NULL DEFAULT now());
