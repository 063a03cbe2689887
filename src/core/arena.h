/*
 * arena.h - per-request / per-job memory.
 *
 * Allocations come from blocks owned by the arena; library objects
 * (PGresult, xmlDoc, CURL, ...) are released by cleanups registered on it.
 * arena_destroy() runs the cleanups in reverse order, then frees everything.
 */
#ifndef LIASSE_CORE_ARENA_H
#define LIASSE_CORE_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_create(void);
void arena_destroy(struct arena *a);

/* Never returns NULL: out of memory aborts (there is nothing sane to do). */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fn(ptr) runs when the arena is destroyed. */
void arena_defer(struct arena *a, void (*fn)(void *), void *ptr);

#endif
