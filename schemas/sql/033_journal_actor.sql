-- 033_journal_actor.sql - the administrators' journal filtered by actor.
-- The filter names people and vendor clients (journal_actors() in
-- functions/10_journal.sql); each named actor's newest entries are then read
-- from this index, newest first, instead of scanning the whole journal for a
-- substring (833 ms at a million documents, bench/scale).
CREATE INDEX journal_actor ON journal (actor, id);
