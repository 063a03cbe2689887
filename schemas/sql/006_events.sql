-- 006_events.sql - what vendors learn: a change feed of document events
-- (GET /api/v1/events?after=N) and webhooks that push the same events.
--
-- Every document creation and state change writes an event row, from a
-- trigger on document (functions/60_events.sql), so a creation
-- (document_create) and a transition (document_apply, the one function that
-- changes a state) produce their event without doing anything.
--
-- Feed positions.  A position taken from a sequence at INSERT time is not
-- visible in commit order: transaction T1 takes 41, T2 takes 42 and commits,
-- a reader polling after=40 gets 42 and then asks after=42; when T1 commits,
-- 41 is never shown.  So the event row gets its public position (seq) only
-- once it is committed, like the journal (001_init.sql): event_seal(), run
-- by liassed's workers about every second and by every feed request before
-- it reads, numbers the committed events not numbered yet, in row order,
-- after the highest position given so far.  Sealers run one at a time (an
-- advisory lock; a PostgreSQL transaction releases its locks only after its
-- commit is visible), so a reader's snapshot always holds a prefix 1..N of
-- the positions: a position it has not seen can only be larger than every
-- position it has seen, and after=N never skips anything.  The price is a
-- delay of at most one sealing interval before an event shows, and one small
-- UPDATE per event.  (The alternative, hiding events newer than
-- pg_snapshot_xmin(), needs a (xid, id) cursor and stalls the whole feed
-- behind any long transaction.)
--
-- The same sealing fans each event out to the webhooks of its client
-- (webhook_delivery), in feed order.

CREATE TABLE event (
	id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- row identity, not public
	seq       bigint UNIQUE,          -- the feed position ("id" in the API); NULL until sealed
	client_id bigint NOT NULL REFERENCES api_client(id),
	org_id    bigint NOT NULL REFERENCES organisation(id),
	doc_id    uuid NOT NULL REFERENCES document(id),
	type      text NOT NULL DEFAULT 'document.state',
	state     doc_state NOT NULL,
	reason    text,
	at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX event_unsealed ON event (id) WHERE seq IS NULL;
CREATE INDEX event_client_seq ON event (client_id, seq) WHERE seq IS NOT NULL;

-- ---- webhooks ----

-- The secret is kept as given (it keys the HMAC of every delivery, so it
-- cannot be stored hashed) and never shown again after creation.
-- job_id: the job that delivers this webhook's pending events (one at a
-- time, so deliveries go out in feed order); NULL when nothing is pending.
CREATE TABLE webhook (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	client_id  bigint NOT NULL REFERENCES api_client(id),
	url        text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2048),
	secret     text NOT NULL CHECK (length(secret) BETWEEN 16 AND 128),
	created_at timestamptz NOT NULL DEFAULT now(),
	deleted_at timestamptz,
	job_id     bigint                  -- a job(id); no foreign key, jobs may be purged
);
CREATE INDEX ON webhook (client_id) WHERE deleted_at IS NULL;
CREATE INDEX ON webhook (job_id);

CREATE TABLE webhook_delivery (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	webhook_id bigint NOT NULL REFERENCES webhook(id),
	event_id   bigint NOT NULL REFERENCES event(id),
	state      text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts   integer NOT NULL DEFAULT 0,
	next_at    timestamptz NOT NULL DEFAULT now(),
	created_at timestamptz NOT NULL DEFAULT now(),
	done_at    timestamptz
);
CREATE INDEX webhook_delivery_pending ON webhook_delivery (webhook_id, id) WHERE state = 'pending';
CREATE INDEX ON webhook_delivery (webhook_id, id);

-- The delivery log: one row per HTTP attempt.
CREATE TABLE webhook_attempt (
	delivery_id bigint NOT NULL REFERENCES webhook_delivery(id),
	n           integer NOT NULL,
	at          timestamptz NOT NULL DEFAULT clock_timestamp(),
	http_status integer,              -- NULL: no HTTP answer (error says why)
	error       text,
	duration_ms integer,
	outcome     text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
	PRIMARY KEY (delivery_id, n)
);
