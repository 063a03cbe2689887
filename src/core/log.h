/*
 * log.h - one logger for liasse and the libraries it drives.
 *
 * Each line: "<time> <level> [<context>] message".  The context is per
 * thread ("req=... doc=... org=..."), set by whoever starts a unit of work.
 * Never pass secrets, tokens or whole documents.
 */
#ifndef LIASSE_CORE_LOG_H
#define LIASSE_CORE_LOG_H

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level lvl);
int log_parse_level(const char *name, enum log_level *out);
/* Context for this thread; NULL or "" clears it. Copied. */
void log_set_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *log_context(void);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Start-up only: log and exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
