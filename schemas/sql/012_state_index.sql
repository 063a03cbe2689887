-- 012_state_index.sql - the vendor listing filtered by state
-- (GET /api/v1/documents?state=..., store_doc_list) walks this index in its
-- own order (updated_at, id) instead of the whole (updated_at, id) index:
-- with a million documents, ten years acknowledged and the pending ones all
-- recent, state=pending_signature read 890,000 rows for a page of 50
-- (330 ms); with it, the page's rows and the organisations' filter
-- (bench/scale, bench/README).
CREATE INDEX document_state_updated ON document (state, updated_at, id);
