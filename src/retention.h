#ifndef LIASSE_RETENTION_H
#define LIASSE_RETENTION_H

#include "core/err.h"
#include "store/store.h"

/* Between jobs, from liassed's workers: every retention_interval, purges
 * what is past its retention period (retention_* keys), in transactions of
 * retention_batch rows; returns at once when it is not time yet or another
 * worker of this process purges.  Documents and the journal are never
 * purged (doc/retention.md). */
int retention_periodic(struct store_conn *c, struct lerr *e) LERR_WUR;

#endif
