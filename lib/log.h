/*
 * log: the logging API shared by all three programs, after OpenBSD's
 * daemons. Messages go to stderr (foreground) or to a file opened with
 * log_open_file(). Nothing here ever writes to stdout: the CNI plugin's
 * stdout belongs to its JSON result.
 */
#ifndef NPR_LOG_H
#define NPR_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
};

/*
 * Set up logging for a program called procname. verbosity is an
 * enum log_level: messages above it are dropped. Output goes to stderr
 * until log_open_file() succeeds.
 */
void log_init(const char *procname, int verbosity);

/* Change the verbosity (e.g. after a config reload). */
void log_setverbose(int verbosity);
int log_getverbose(void);

/*
 * Append messages to path instead of stderr. Returns 0 or -errno; on error
 * logging stays where it was. A NULL or empty path means stderr.
 */
int log_open_file(const char *path);

/* Close the log file, if any, and go back to stderr. */
void log_close(void);

/*
 * Parse a level name ("error", "warn", "info", "debug"). Returns the level
 * or -EINVAL.
 */
int log_level_parse(const char *name);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
