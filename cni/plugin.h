/*
 * plugin: the CNI commands of netpol-record-cni (VERSION, ADD, DEL, CHECK,
 * STATUS, GC). main.c reads the environment and stdin and calls
 * plugin_run(); tests call it directly.
 */
#ifndef NPR_PLUGIN_H
#define NPR_PLUGIN_H

#include <stddef.h>
#include <stdio.h>

#include "lib/fdpass.h"

/*
 * The nftables socket of a finished command, for main.c to get rid of
 * after the result is out: its last close after a commit waits for an RCU
 * grace period under the nf_tables commit mutex (lib/fdpass.h), 10-30 ms
 * that neither the runtime nor the next ADD should wait for. The socket
 * goes to netpol-recorderd at release_socket ("" = not configured), or to
 * a child process that outlives the plugin.
 */
struct plugin_linger {
	int fd;				/* -1: none */
	char release_socket[FDPASS_PATH_MAX + 1];
};

/* The CNI_* environment (NULL when unset). */
struct plugin_env {
	const char *command;
	const char *container_id;
	const char *netns;
	const char *ifname;
	const char *args;
	const char *path;
	/* When not NULL, plugin_run() leaves its nftables socket here
	 * instead of closing it (see struct plugin_linger). */
	struct plugin_linger *linger;
};

/* Fill env from getenv(). */
void plugin_env_load(struct plugin_env *env);

/*
 * Run env->command on the configuration buf[0..len) (len may exceed
 * CNI_STDIN_MAX: the caller read one byte more than the cap to tell). The
 * result, or the CNI error JSON, goes to out and nothing else does.
 * Returns the process exit code: 0 on success, 1 on error.
 */
int plugin_run(const struct plugin_env *env, const char *buf, size_t len,
    FILE *out);

#endif
