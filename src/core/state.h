/*
 * state.h - the names of a document's states (the SQL enum doc_state) and
 * their French labels: the one list the API's filters, the web pages and
 * the tests read.  The transitions between them are not here: they are the
 * table document_transition (schemas/sql/functions/30_state.sql).
 * tests/unit/test_store checks this list against the SQL enum.
 */
#ifndef LIASSE_STATE_H
#define LIASSE_STATE_H

#include <stddef.h>

struct doc_state_info {
	const char *name;               /* document.state, the SQL enum doc_state */
	const char *label;              /* French, for people: "À signer" */
	int queue;                      /* shown among the states a follower filters on */
};

/* The i-th state, NULL past the end, in the enum's order. */
const struct doc_state_info *doc_state_at(size_t i);
/* The state named name, or NULL (name NULL: NULL). */
const struct doc_state_info *doc_state_get(const char *name);
/* The label of a state by name, or the name itself when unknown ("" for NULL). */
const char *doc_state_label(const char *name);
/* All names joined by sep, the last one by last ("a, b or c"); static storage. */
const char *doc_state_names(const char *sep, const char *last);

#endif
