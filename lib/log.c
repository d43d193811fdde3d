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

/*
 * Messages carry input (an interface name from a container runtime, a
 * pod's name, a key of a YAML file): their control characters are written
 * escaped (\n, \r, \t, \xHH), so that one call is one line and nothing
 * in an input can forge another line or move a terminal's cursor.
 */
static void
put_escaped(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != 0x7f) {
			fputc(c, out);
			continue;
		}
		switch (c) {
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			fprintf(out, "\\x%02x", c);
			break;
		}
	}
}

static void vlog(int, int, int, const char *, va_list)
	__attribute__((format(printf, 4, 0)));

static void
vlog(int level, int with_errno, int saved_errno, const char *fmt, va_list ap)
{
	FILE *out = logst.file != NULL ? logst.file : stderr;
	char ts[32], line[1024], *msg = line;
	struct timespec now;
	struct tm tm;
	va_list aq;
	int n;

	if (level > logst.verbosity)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	va_copy(aq, ap);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	/* Longer than a line buffer: formatted again, whole. */
	if (n >= (int)sizeof(line) && (msg = malloc((size_t)n + 1)) != NULL)
		vsnprintf(msg, (size_t)n + 1, fmt, aq);
	else if (msg == NULL)
		msg = line;		/* cut, rather than lost */
	va_end(aq);
	/* One fprintf per piece, but the stream is line buffered: a line is
	 * written with a single write(2) so concurrent plugins do not
	 * interleave within a line. */
	flockfile(out);
	fprintf(out, "%s.%03ldZ %s[%d] %s: ", ts, now.tv_nsec / 1000000,
	    logst.procname, (int)getpid(), level_names[level]);
	put_escaped(out, n < 0 ? fmt : msg);
	if (with_errno)
		fprintf(out, ": %s", strerror(saved_errno));
	fputc('\n', out);
	funlockfile(out);
	fflush(out);
	if (msg != line)
		free(msg);
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
