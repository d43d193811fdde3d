/*
 * netpol-record-cni: a chained CNI plugin that records which pod owns
 * which veth and addresses, and marks the pods' connections for
 * netpol-recorderd. The commands are in plugin.c; this file only reads
 * the environment and stdin.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni/cniconf.h"
#include "cni/install/install.h"
#include "cni/plugin.h"
#include "lib/fdpass.h"
#include "lib/log.h"

/* Read at most max + 1 bytes: one more than allowed tells "too big"
 * without reading a runaway stdin to its end. */
static ssize_t
read_stdin(char *buf, size_t max)
{
	size_t n = 0;
	ssize_t r;

	while (n < max + 1) {
		r = read(STDIN_FILENO, buf + n, max + 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

/*
 * Get rid of the nftables socket without waiting for its last close
 * (struct plugin_linger says why): give it to netpol-recorderd, which
 * closes it later; without the daemon, close it in a child that outlives
 * us. The child holds nothing else open, so the runtime sees our stdout
 * end and our exit at once.
 */
static void
release_later(const struct plugin_linger *l)
{
	pid_t pid;

	if (l->fd < 0)
		return;
	if (l->release_socket[0] != '\0' &&
	    fdpass_send(l->release_socket, l->fd) == 0) {
		close(l->fd);
		return;
	}
	signal(SIGCHLD, SIG_IGN);	/* no zombie if we are still here */
	pid = fork();
	if (pid == 0) {
		/* Everything else first (stdout above all), then the slow one. */
		if (l->fd > 0)
			close_range(0, (unsigned)l->fd - 1, 0);
		close_range((unsigned)l->fd + 1, ~0U, 0);
		close(l->fd);
		_exit(0);
	}
	/* Parent (or fork failed): drop our reference; if fork failed this
	 * is the slow release, nothing worse. */
	close(l->fd);
}

/*
 * Someone ran the plugin by hand, on a terminal, without the CNI
 * environment: the JSON error alone (stdout, for a runtime) does not tell
 * them what the program is for. name is how it was invoked, so that the
 * commands shown work (the plugin lives in the CNI bin directory, which is
 * seldom on PATH).
 */
static void
by_hand(const char *name)
{
	fprintf(stderr,
	    "netpol-record-cni: CNI_COMMAND is not set. This is a CNI plugin: "
	    "the container\n"
	    "runtime runs it for each pod, with CNI_COMMAND and the other "
	    "CNI_* variables\n"
	    "set and the network configuration on standard input.\n"
	    "  To add it to this node's CNI configuration: %s install\n"
	    "    (options: %s install --help)\n"
	    "  Every use: %s --help\n", name, name, name);
}

static void
usage(FILE *out)
{
	fputs("usage: netpol-record-cni\n"
	    "         run by a container runtime: CNI_COMMAND and the other CNI_*\n"
	    "         variables in the environment, the network configuration\n"
	    "         on standard input (VERSION, ADD, DEL, CHECK, STATUS, GC)\n"
	    "       netpol-record-cni install [OPTIONS]    add the plugin to the\n"
	    "         node's CNI configuration ('install --help')\n"
	    "       netpol-record-cni uninstall [OPTIONS]  take it out again\n"
	    "       netpol-record-cni --help\n", out);
}

int
main(int argc, char **argv)
{
	struct plugin_env env;
	struct cni_err err = { 0 };
	char *buf;
	ssize_t n;
	struct plugin_linger linger = { .fd = -1 };
	int rc;

	log_init("netpol-record-cni", LOG_LVL_WARN);
	/* A runtime always sets CNI_COMMAND and passes no arguments; a person
	 * installing the plugin passes a subcommand. */
	if (argc > 1 && getenv("CNI_COMMAND") == NULL) {
		if (strcmp(argv[1], "install") == 0 ||
		    strcmp(argv[1], "uninstall") == 0)
			return cniinst_main(argc - 1, argv + 1);
		if (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		fprintf(stderr, "netpol-record-cni: unknown command '%s'\n",
		    argv[1]);
		usage(stderr);
		return 2;
	}
	plugin_env_load(&env);
	if ((buf = malloc(CNI_STDIN_MAX + 2)) == NULL)
		return 1;
	/* Without CNI_COMMAND the answer is an error whatever stdin holds:
	 * do not wait for the end of a terminal's input. */
	if (env.command == NULL || env.command[0] == '\0') {
		if (isatty(STDIN_FILENO))
			by_hand(argc > 0 && argv[0] != NULL ? argv[0] :
			    "netpol-record-cni");
		n = 0;
	} else
		n = read_stdin(buf, CNI_STDIN_MAX);
	if (n < 0) {
		char *s;

		cni_err_set(&err, CNI_ERR_IO, NULL, "cannot read stdin");
		if ((s = cni_err_json(NULL, &err)) != NULL)
			fputs(s, stdout);
		free(s);
		free(buf);
		return 1;
	}
	buf[n] = '\0';
	env.linger = &linger;
	rc = plugin_run(&env, buf, (size_t)n, stdout);
	free(buf);
	fflush(stdout);
	release_later(&linger);
	return rc;
}
