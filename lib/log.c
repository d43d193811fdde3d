#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * Logging is process-wide state by nature (like syslog(3)); it is the only
 * global the programs share, and it is written only by the functions here.
 */
static struct {
	const char *procname;
	int verbosity;
	FILE *file;
} logst = { "netpol-record", LOG_LVL_INFO, NULL };

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

void
log_init(const char *procname, int verbosity)
{
	logst.procname = procname;
	logst.verbosity = verbosity;
}

void
log_setverbose(int verbosity)
{
	logst.verbosity = verbosity;
}

int
log_getverbose(void)
{
	return logst.verbosity;
}

int
log_open_file(const char *path)
{
	FILE *f;

	if (path == NULL || *path == '\0') {
		log_close();
		return 0;
	}
	f = fopen(path, "ae");
	if (f == NULL)
		return -errno;
	setvbuf(f, NULL, _IOLBF, 0);
	log_close();
	logst.file = f;
	return 0;
}

void
log_close(void)
{
	if (logst.file != NULL)
		fclose(logst.file);
	logst.file = NULL;
}

int
log_level_parse(const char *name)
{
	size_t i;

	if (name == NULL)
		return -EINVAL;
	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(name, "warning") == 0)
		return LOG_LVL_WARN;
	return -EINVAL;
}

static void vlog(int, int, int, const char *, va_list)
	__attribute__((format(printf, 4, 0)));

static void
vlog(int level, int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	FILE *out = logst.file != NULL ? logst.file : stderr;
	char ts[32];
	struct timespec now;
	struct tm tm;

	if (level > logst.verbosity)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One fprintf per piece, but the stream is line buffered: a line is
	 * written with a single write(2) so concurrent plugins do not
	 * interleave within a line. */
	flockfile(out);
	fprintf(out, "%s.%03ldZ %s[%d] %s: ", ts, now.tv_nsec / 1000000,
	    logst.procname, (int)getpid(), level_names[level]);
	vfprintf(out, fmt, ap);
	if (with_errno)
		fprintf(out, ": %s", strerror(saved_errno));
	fputc('\n', out);
	funlockfile(out);
	fflush(out);
}

#define LOGFN(fn, level, with_errno)				\
	void fn(const char *fmt, ...)				\
	{							\
		int saved = errno;				\
		va_list ap;					\
		va_start(ap, fmt);				\
		vlog(level, with_errno, saved, fmt, ap);	\
		va_end(ap);					\
		errno = saved;					\
	}

LOGFN(log_warn, LOG_LVL_WARN, 1)
LOGFN(log_warnx, LOG_LVL_WARN, 0)
LOGFN(log_info, LOG_LVL_INFO, 0)
LOGFN(log_debug, LOG_LVL_DEBUG, 0)
LOGFN(log_errorx, LOG_LVL_ERROR, 0)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 1, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 0, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
