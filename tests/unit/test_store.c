/*
 * Unit tests of store/ against a private PostgreSQL (contrib/pgtmp): the
 * migrations under their advisory lock, blobs, jobs claimed with SKIP LOCKED,
 * events applied to documents and the schema's one writer of their state,
 * the journal chain.  Skips (77) when PostgreSQL's server
 * binaries are absent.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/state.h"
#include "core/util.h"
#include "store/store.h"
#include "tap.h"

static char dir[256], conninfo[512];
static const char *sqldir;

static void
stop_pg(void)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s/contrib/pgtmp stop %s", getenv("top_srcdir") ? getenv("top_srcdir") : ".", dir);
	if (system(cmd) == 0 && !tap_failed) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not remove %s\n", dir);
	} else {
		fprintf(stderr, "# data kept in %s\n", dir);
	}
}

static void
start_pg(void)
{
	char cmd[1024];
	FILE *p;

	if (system("ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1") != 0)
		tap_skip_all("PostgreSQL server binaries not installed");
	snprintf(dir, sizeof(dir), "/tmp/liasse-test-store-XXXXXX");
	if (!mkdtemp(dir))
		tap_skip_all("no temporary directory");
	snprintf(cmd, sizeof(cmd), "%s/contrib/pgtmp start %s", getenv("top_srcdir") ? getenv("top_srcdir") : ".", dir);
	p = popen(cmd, "r");
	if (!p || !fgets(conninfo, sizeof(conninfo), p) || pclose(p) != 0) {
		printf("Bail out! cannot start PostgreSQL (see %s)\n", dir);
		exit(1);
	}
	conninfo[strcspn(conninfo, "\n")] = '\0';
	atexit(stop_pg);
}

struct migrate_arg {
	struct store *s;
	int rc, applied;
};

static void *
migrate_thread(void *p)
{
	struct migrate_arg *a = p;
	struct store_conn *c = NULL;
	struct lerr e;

	a->rc = store_acquire(a->s, &c, &e);
	if (!a->rc)
		a->rc = store_migrate(c, sqldir, &a->applied, &e);
	if (a->rc)
		fprintf(stderr, "# migrate: %s %s\n", e.msg, e.detail);
	store_release(a->s, c);
	return NULL;
}

/* Two "daemons" migrating at the same moment: one applies, the other waits and finds nothing to do. */
static void
test_migrate_concurrently(struct store *s)
{
	struct migrate_arg a = { s, -1, 0 }, b = { s, -1, 0 };
	pthread_t ta, tb;

	pthread_create(&ta, NULL, migrate_thread, &a);
	pthread_create(&tb, NULL, migrate_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ok(a.rc == 0 && b.rc == 0, "two concurrent migrations both succeed");
	ok(a.applied + b.applied > 0 && (a.applied == 0 || b.applied == 0),
	   "the migrations are applied by one of them only (%d + %d)", a.applied, b.applied);
}

static int
give_conn(void *arg, struct store_conn **c, struct lerr *e)
{
	*c = arg;
	return 0;
}

static void
test_blobs(struct store_conn *c)
{
	struct store_blob_writer w;
	long long id1 = 0, id2 = 0;
	uint8_t sha[32], sha2[32];
	int64_t size = 0;
	struct lerr e;
	char *data = malloc(3 * STORE_CHUNK_SIZE + 17), *back = malloc(STORE_CHUNK_SIZE);
	size_t len = 0;

	for (size_t i = 0; i < 3 * STORE_CHUNK_SIZE + 17; i++)
		data[i] = (char)(i * 31 % 251);
	ok(store_begin(c, &e) == 0 && store_blob_begin(&w, 1 << 30, give_conn, c, &e) == 0, "blob writer opens");
	for (size_t off = 0; off < 3 * STORE_CHUNK_SIZE + 17; off += 65536) {
		size_t n = 3 * STORE_CHUNK_SIZE + 17 - off < 65536 ? 3 * STORE_CHUNK_SIZE + 17 - off : 65536;
		if (store_blob_write(&w, data + off, n, &e))
			break;
	}
	ok(store_blob_end(&w, 1, &id1, sha, &size, &e) == 0 && id1 > 0, "a blob of several chunks is sealed");
	store_blob_abort(&w);
	is_int(size, 3 * STORE_CHUNK_SIZE + 17, "blob size counted");
	ok(store_blob_chunk(c, id1, 3, back, &len, &e) == 0 && len == 17 &&
	   memcmp(back, data + 3 * STORE_CHUNK_SIZE, 17) == 0, "the last chunk reads back");
	ok(store_blob_begin(&w, 1 << 30, give_conn, c, &e) == 0 &&
	   store_blob_write(&w, data, 3 * STORE_CHUNK_SIZE + 17, &e) == 0 &&
	   store_blob_end(&w, 1, &id2, sha2, &size, &e) == 0, "same content written again");
	store_blob_abort(&w);
	ok(id1 == id2 && memcmp(sha, sha2, 32) == 0, "identical content is stored once (content addressing)");
	ok(store_blob_begin(&w, 1 << 30, NULL, NULL, &e) == 0 && store_blob_write(&w, data, 100, &e) == 0 &&
	   store_blob_end(&w, 1, &id2, sha2, &size, &e) == 0 && id2 == 0 && w.fill == 100,
	   "a one-chunk blob stays in memory when asked (no connection needed)");
	store_blob_abort(&w);
	ok(store_blob_begin(&w, 1 << 30, give_conn, c, &e) == 0 && store_blob_write(&w, data, 100, &e) == 0 &&
	   store_blob_end(&w, 0, &id2, sha2, &size, &e) == 0 && id2 > 0, "or is stored at once");
	store_blob_abort(&w);
	ok(store_blob_begin(&w, 10, NULL, NULL, &e) == 0 && store_blob_write(&w, data, 11, &e) == LERR_TOOLARGE,
	   "a blob past its limit is refused");
	store_blob_abort(&w);
	store_rollback(c);
	free(data);
	free(back);
}

static void
seed(struct store_conn *c, char *doc_id)
{
	struct org o;
	struct lerr e;
	char key[STORE_CLIENT_KEY_SIZE];
	const char *sirens[] = { "214500999" };
	long long client;
	struct doc_file_in f = { .role = "main", .name = "a.pdf", .media_type = "application/pdf",
				 .size = 5, .data = "%PDF-", .len = 5 };
	struct doc_create d = { .siren = "214500999", .kind = "document", .title = "t", .want_sign = 1,
				.files = &f, .nfiles = 1, .actor = "test" };
	char *body = NULL, other[37];
	int status = 0;

	store_org_init(&o);
	strcpy(o.siren, "214500999");
	strcpy(o.name, "Commune");
	ok(store_begin(c, &e) == 0 && store_org_insert(c, &o, "test", &e) == 0 &&
	   store_client_create(c, "v", sirens, 1, "test", key, &client, &e) == 0 &&
	   store_org_get(c, "214500999", &o, &e) == 0, "organisation and client created");
	ok(store_commit(c, &e) == 0, "committed");
	sha256_once("%PDF-", 5, f.sha256);
	d.client_id = client;
	ok(store_doc_create(c, &d, &status, doc_id, &body, &e) == 0 && status == 422 &&
	   strstr(body, "\"signer\": \"none\""), "a document to sign that no rule routes is refused");
	free(body);
	ok(store_person_add(c, "maire@commune.test", "Maire", NULL, 0, "test", NULL, &e) == 0 &&
	   store_role_add(c, "maire@commune.test", "214500999", "signer", "maire", "test", &e) == 0 &&
	   store_routing_add(c, "214500999", "document", 0, "maire@commune.test", "test", &e) == 0,
	   "an official and a routing rule");
	ok(store_role_add(c, "nobody@commune.test", "214500999", "agent", NULL, "test", &e) == LERR_NOTFOUND &&
	   !strcmp(e.field, "email") && e.hint[0], "an SQL refusal arrives with its field and hint");
	ok(store_doc_create(c, &d, &status, doc_id, &body, &e) == 0 && status == 201 &&
	   strstr(body, "pending_signature"), "document created, in its official's queue");
	free(body);
	d.siren = "999999999";
	ok(store_doc_create(c, &d, &status, other, &body, &e) == 0 && status == 403,
	   "an organisation that is not the client's answers 403");
	free(body);
}

/* Two workers claim at once: each gets a different job, neither waits. */
static void
test_jobs(struct store *s, const char *doc)
{
	struct store_conn *a = NULL, *b = NULL;
	struct job ja, jb, jc;
	int fa = 0, fb = 0, fc = 0;
	struct lerr e;

	ok(store_acquire(s, &a, &e) == 0 && store_acquire(s, &b, &e) == 0, "two connections");
	/* seed()'s document entered its official's queue: that gave them an
	 * e-mail notification job (functions/85_notify.sql); out of the way. */
	while (store_begin(a, &e) == 0 && store_job_claim(a, &jc, &fc, &e) == 0 && fc &&
	       store_job_done(a, jc.id, &e) == 0 && store_commit(a, &e) == 0)
		;
	store_rollback(a);
	ok(store_job_add(a, "test.one", doc, &e) == 0 && store_job_add(a, "test.two", doc, &e) == 0,
	   "two jobs queued");
	ok(store_begin(a, &e) == 0 && store_job_claim(a, &ja, &fa, &e) == 0 && fa, "worker A claims a job");
	ok(store_begin(b, &e) == 0 && store_job_claim(b, &jb, &fb, &e) == 0 && fb, "worker B claims a job");
	ok(fa && fb && ja.id != jb.id, "they hold different jobs (SKIP LOCKED)");
	ok(store_job_done(a, ja.id, &e) == 0 && store_commit(a, &e) == 0, "A finishes");
	store_rollback(b);   /* B dies: its job is free again */
	ok(store_begin(a, &e) == 0 && store_job_claim(a, &jc, &fc, &e) == 0 && fc && jc.id == jb.id,
	   "a job whose worker died is claimed again");
	ok(store_job_retry(a, jc.id, "boom", 3600, &e) == 0 && store_commit(a, &e) == 0, "retry later");
	ok(store_begin(a, &e) == 0 && store_job_claim(a, &jc, &fc, &e) == 0 && !fc,
	   "a job scheduled later is not ready now");
	store_rollback(a);
	store_release(s, a);
	store_release(s, b);
}

static void
test_journal(struct store *s)
{
	char cmd[1200], out[64] = "";
	struct store_conn *c = NULL;
	struct lerr e;
	int n = 0, again = -1;
	FILE *p;

	if (ok(store_acquire(s, &c, &e) == 0, "connection for the sealer")) {
		ok(store_journal_seal(c, &n, &e) == 0 && n >= 4, "the sealer chains the %d entries written so far", n);
		ok(store_journal_seal(c, &again, &e) == 0 && again == 0, "and nothing the second time");
	}
	store_release(s, c);

	/* Recompute the chain in SQL: every entry's hash covers its predecessor. */
	snprintf(cmd, sizeof(cmd), "psql '%s' -tAc \"SELECT count(*) FROM journal j LEFT JOIN journal p ON p.seq = j.seq - 1 WHERE j.seq IS NULL OR "
		 "j.hash <> sha256(j.prev_hash || convert_to(journal_canonical(j.seq, j.at, j.actor, j.action, "
		 "j.doc_id, j.org_id, j.detail), 'UTF8')) OR j.prev_hash <> coalesce(p.hash, decode(repeat('00', 32), 'hex'))\"",
		 conninfo);
	p = popen(cmd, "r");
	if (!p || !fgets(out, sizeof(out), p))
		out[0] = '\0';
	if (p)
		pclose(p);
	out[strcspn(out, "\n")] = '\0';
	is_str(out, "0", "every journal entry chains to the previous one");
	snprintf(cmd, sizeof(cmd), "psql '%s' -qtAc 'DELETE FROM journal' 2>/dev/null", conninfo);
	ok(system(cmd) != 0, "the journal refuses DELETE");
	snprintf(cmd, sizeof(cmd), "psql '%s' -qtAc \"UPDATE journal SET actor = 'mallory' WHERE seq = 1\" 2>/dev/null", conninfo);
	ok(system(cmd) != 0, "the journal refuses to change a sealed entry");
	snprintf(cmd, sizeof(cmd), "psql '%s' -qtAc \"UPDATE journal SET seq = 99 WHERE seq = 1\" 2>/dev/null", conninfo);
	ok(system(cmd) != 0, "the journal refuses to move a sealed entry");
}

/* First line of psql's output for sql, in out. */
static void
psql_line(const char *sql, char *out, size_t n)
{
	char cmd[4096];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "psql '%s' -qtAc \"%s\"", conninfo, sql);
	out[0] = '\0';
	p = popen(cmd, "r");
	if (!p || !fgets(out, (int)n, p))
		out[0] = '\0';
	if (p)
		pclose(p);
	out[strcspn(out, "\n")] = '\0';
}

/* Events applied to a document (it is pending_signature): the table of
 * schemas/sql/functions/30_state.sql decides, a repeated event is a no-op. */
static void
test_events(struct store_conn *c, const char *doc)
{
	char sql[512], out[64];
	struct lerr e;

	ok(store_begin(c, &e) == 0 && store_doc_event(c, doc, 0, "cancel", "test", "why", &e) == 0 &&
	   store_commit(c, &e) == 0, "cancel applies to a document awaiting its signature");
	ok(store_doc_event(c, doc, 0, "cancel", "test", NULL, &e) == 0, "cancelling it again is a no-op");
	snprintf(sql, sizeof(sql), "SELECT count(*) || ' ' || (SELECT count(*) FROM event WHERE doc_id = '%s')"
		 " || ' ' || (SELECT state || ' ' || reason FROM document WHERE id = '%s')"
		 " FROM journal WHERE doc_id = '%s' AND action = 'document.cancelled'"
		 " AND detail @> jsonb_build_object('from', 'pending_signature', 'event', 'cancel', 'reason', 'why')",
		 doc, doc, doc);
	psql_line(sql, out, sizeof(out));
	is_str(out, "1 2 cancelled why", "one journal entry with from, event and reason; one event after the creation's");
	ok(store_doc_event(c, doc, 0, "send", "test", NULL, &e) == LERR_CONFLICT,
	   "send does not apply to a cancelled document");
	ok(strstr(e.detail, "cancelled") != NULL, "the conflict names the current state: %s", e.detail);
	ok(store_doc_event(c, doc, 0, "no-such-event", "test", NULL, &e) == LERR_INTERNAL,
	   "an unknown event is a bug");
	ok(store_doc_event(c, "00000000-0000-4000-8000-000000000000", 0, "cancel", "test", NULL, &e) ==
	   LERR_NOTFOUND, "an unknown document is not found");
}

/* The final schema: one function writes document.state, one inserts a
 * document with its first state; the transitions table is well formed. */
static void
test_state_schema(void)
{
	/* A function's source that assigns state in an UPDATE of document (before its
	 * WHERE, FROM or RETURNING), or NEW.state in a trigger. */
	static const char writers[] =
		"SELECT string_agg(p.proname, ',' ORDER BY p.proname) FROM pg_proc p"
		" JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND"
		" (p.prosrc ~* 'update\\s+document(\\s+(as\\s+)?\\w+)?\\s+set\\s"
		"((?!\\mwhere\\M|\\mfrom\\M|\\mreturning\\M)[^;])*\\mstate\\s*='"
		" OR p.prosrc ~* '\\mnew\\.state\\s*:?=')";
	static const char inserters[] =
		"SELECT string_agg(p.proname, ',' ORDER BY p.proname) FROM pg_proc p"
		" JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND"
		" p.prosrc ~* 'insert\\s+into\\s+document\\s*\\([^)]*\\mstate\\M'";
	char out[256];

	psql_line(writers, out, sizeof(out));
	is_str(out, "document_apply,document_apply_many",
	       "exactly document_apply() and its set form write document.state");
	psql_line("SELECT count(*) FROM pg_proc WHERE prosrc ~* 'update\\s+document\\s+set\\s+state'",
		  out, sizeof(out));
	is_str(out, "2", "(the pattern finds them)");
	psql_line(inserters, out, sizeof(out));
	is_str(out, "document_create", "exactly one inserts a document, in the state the table gives its creation");
	psql_line("SELECT count(*) FROM (SELECT from_state, event FROM document_transition"
		  " GROUP BY 1, 2 HAVING count(*) > 1) d", out, sizeof(out));
	is_str(out, "0", "a state and an event lead to one state");
	psql_line("SELECT string_agg(s, ',') FROM (SELECT from_state AS s FROM document_transition UNION"
		  " SELECT to_state FROM document_transition) t"
		  " WHERE s IS NOT NULL AND s NOT IN (SELECT unnest(enum_range(NULL::doc_state))::text)",
		  out, sizeof(out));
	is_str(out, "", "every state of the table is a doc_state");
	psql_line("SELECT string_agg(s::text, ',') FROM unnest(enum_range(NULL::doc_state)) s"
		  " WHERE s::text NOT IN (SELECT to_state FROM document_transition)", out, sizeof(out));
	is_str(out, "", "every doc_state can be reached");
	psql_line("SELECT string_agg(s::text, ',' ORDER BY s) FROM unnest(enum_range(NULL::doc_state)) s",
		  out, sizeof(out));
	is_str(out, doc_state_names(",", ","), "core/state.c lists the states of the enum, in its order");
}

/* store_journal_verify: in its own snapshot or in the caller's transaction;
 * the head it reports; an entry altered behind the trigger. */
/* A client's creation and revocation: one journal entry each, under the
 * actor given; a creation that fails leaves neither client nor entry. */
static void
test_client_actor(struct store *s)
{
	const char *good[] = { "214500999" }, *bad[] = { "214500999", "000000000" };
	struct store_conn *c = NULL;
	char key[STORE_CLIENT_KEY_SIZE], out[256];
	struct lerr e;

	if (!ok(store_acquire(s, &c, &e) == 0, "connection for the clients"))
		return;
	ok(store_client_create(c, "w", good, 1, "person:admin@test", key, NULL, &e) == 0 &&
	   !strncmp(key, "lsk_", 4) && strlen(key) == 47, "a client is created with a new key");
	ok(store_client_revoke(c, "w", "person:other@test", &e) == 0, "and revoked");
	psql_line("SELECT string_agg(actor || ' ' || action, ',' ORDER BY seq) FROM journal"
		  " WHERE detail->>'name' = 'w'", out, sizeof(out));
	is_str(out, "person:admin@test client.created,person:other@test client.revoked",
	       "one journal entry each, under the actor given");
	ok(store_client_create(c, "x", bad, 2, "test", key, NULL, &e) == LERR_NOTFOUND &&
	   !store_in_txn(c), "a client for an unknown organisation is refused");
	psql_line("SELECT count(*) FROM api_client WHERE name = 'x'", out, sizeof(out));
	is_str(out, "0", "and nothing of it is kept");
	ok(store_client_revoke(c, "nobody", "test", &e) == LERR_NOTFOUND, "revoking an unknown client: not found");
	store_release(s, c);
}

static void
test_journal_verify(struct store *s)
{
	struct store_conn *c = NULL;
	struct journal_report r;
	struct lerr e;
	char count[32], head[65], last[80];
	long long before;

	if (!ok(store_acquire(s, &c, &e) == 0, "connection for the verifier"))
		return;
	psql_line("SELECT count(*) FROM journal", count, sizeof(count));
	ok(store_journal_verify(c, &r, &e) == 0 && r.bad_seq == 0 && r.fault == JOURNAL_INTACT,
	   "the journal verifies");
	is_int(r.entries, atoll(count), "every entry is checked");
	ok(!store_in_txn(c), "no transaction left open");
	hex_encode(r.head, 32, head);
	psql_line("SELECT encode(hash, 'hex') FROM journal ORDER BY seq DESC LIMIT 1", last, sizeof(last));
	is_str(head, last, "the head reported is the last entry's hash");
	before = r.entries;
	if (ok(store_journal(c, "test", "test.verify", NULL, 0, "{\"k\": \"é\"}", &e) == 0 &&
	       store_begin(c, &e) == 0, "a new entry, then a transaction")) {
		ok(store_journal_verify(c, &r, &e) == 0 && r.bad_seq == 0 && r.sealed == 1 &&
		   r.entries == before + 1, "inside it, the new entry is sealed and checked");
		ok(store_in_txn(c) && store_commit(c, &e) == 0, "the caller's transaction is left to the caller");
	}
	psql_line("ALTER TABLE journal DISABLE TRIGGER journal_append_only; UPDATE journal SET org_id = 99 "
		  "WHERE seq = 2; ALTER TABLE journal ENABLE TRIGGER journal_append_only", last, sizeof(last));
	ok(store_journal_verify(c, &r, &e) == 0 && r.bad_seq == 2 && r.fault == JOURNAL_HASH &&
	   r.entries == 1, "an altered entry is found: %s", r.what);
	store_release(s, c);
}

int
main(void)
{
	struct store *s = NULL;
	struct store_conn *c = NULL;
	struct lerr e;
	char doc[37] = "";

	sqldir = getenv("LIASSE_SQLDIR") ? getenv("LIASSE_SQLDIR") : "schemas/sql";
	start_pg();
	if (!ok(store_open(&s, conninfo, NULL, 4, &e) == 0, "store opens"))
		return tap_done();
	test_migrate_concurrently(s);
	if (!ok(store_acquire(s, &c, &e) == 0, "connection"))
		return tap_done();
	test_blobs(c);
	seed(c, doc);
	store_release(s, c);
	test_jobs(s, doc);
	test_client_actor(s);
	if (ok(store_acquire(s, &c, &e) == 0, "connection again"))
		test_events(c, doc);
	test_state_schema();
	store_release(s, c);
	test_journal(s);
	test_journal_verify(s);
	store_close(s);
	return tap_done();
}
