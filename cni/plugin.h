/*
 * plugin: the CNI commands of netpol-record-cni (VERSION, ADD, DEL, CHECK,
 * STATUS, GC). main.c reads the environment and stdin and calls
 * plugin_run(); tests call it directly.
 */
#ifndef NPR_PLUGIN_H
#define NPR_PLUGIN_H

#include <stddef.h>
#include <stdio.h>

/* The CNI_* environment (NULL when unset). */
struct plugin_env {
	const char *command;
	const char *container_id;
	const char *netns;
	const char *ifname;
	const char *args;
	const char *path;
	/*
	 * When not NULL, plugin_run() leaves here a dup() of its nftables
	 * socket (-1 if it had none) instead of releasing it: releasing a
	 * NETLINK_NETFILTER socket after a commit waits for an RCU grace
	 * period (the kernel flushes its transaction destroy work), about
	 * 10 ms on a busy node. main.c releases it off the runtime's path.
	 */
	int *linger_fd;
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
