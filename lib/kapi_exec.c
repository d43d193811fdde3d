/*
 * kapi_exec: running a kubeconfig's exec credential plugin and caching
 * what it prints (see kapi_exec.h).
 *
 * The plugin is started with posix_spawnp: the daemon calls this from
 * its API thread, and posix_spawn is safe in a threaded process where a
 * fork would copy every thread's locks. Without a terminal it gets
 * /dev/null as input and a session of its own (POSIX_SPAWN_SETSID), so
 * that even opening /dev/tty fails: interactiveMode Never is kept by
 * the kernel, not by the plugin's good manners.
 */
#include "lib/kapi_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/clock.h"
#include "lib/rfc3339.h"

extern char **environ;

enum imode { IMODE_NEVER, IMODE_IF_AVAILABLE, IMODE_ALWAYS };

static const struct {
	const char *name;
	enum imode mode;
} imodes[] = {
	{ "Never", IMODE_NEVER },
	{ "IfAvailable", IMODE_IF_AVAILABLE },
	{ "Always", IMODE_ALWAYS },
};

static const char *const api_versions[] = {
	"client.authentication.k8s.io/v1",
	"client.authentication.k8s.io/v1beta1",
};

struct kapi_exec {
	pthread_mutex_t mu;
	/* The configuration. */
	char *api_version;
	char **argv;		/* command, args..., NULL */
	char **env;		/* "NAME=value"..., NULL */
	char *install_hint;	/* or NULL */
	enum imode imode;
	bool provide_cluster;
	char *server, *ca_pem;	/* for provideClusterInfo, may be NULL */
	bool allow_terminal;
	/* The cache. */
	struct kapi_exec_cred cred;
	bool have;
	unsigned runs;
};

static void
strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static char **
strv_dup(char *const *v)
{
	size_t n = 0, i;
	char **d;

	while (v != NULL && v[n] != NULL)
		n++;
	if ((d = calloc(n + 1, sizeof(*d))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((d[i] = strdup(v[i])) == NULL) {
			strv_free(d);
			return NULL;
		}
	return d;
}

void
kapi_exec_cred_clear(struct kapi_exec_cred *c)
{
	if (c == NULL)
		return;
	if (c->token != NULL)
		explicit_bzero(c->token, strlen(c->token));
	if (c->key != NULL)
		explicit_bzero(c->key, strlen(c->key));
	free(c->token);
	free(c->cert);
	free(c->key);
	memset(c, 0, sizeof(*c));
}

void
kapi_exec_free(struct kapi_exec *x)
{
	if (x == NULL)
		return;
	pthread_mutex_destroy(&x->mu);
	free(x->api_version);
	strv_free(x->argv);
	strv_free(x->env);
	free(x->install_hint);
	free(x->server);
	free(x->ca_pem);
	kapi_exec_cred_clear(&x->cred);
	free(x);
}

/* ---- the configuration ---------------------------------------------------- */

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* argv from command (relative to dir when it holds a '/') and args. */
static int
parse_argv(struct kapi_exec *x, json_object *exec, const char *cmd,
    const char *dir, char *err, size_t errlen)
{
	json_object *args = NULL, *a;
	size_t i, n = 0;

	if (json_object_object_get_ex(exec, "args", &args) && args != NULL) {
		if (!json_object_is_type(args, json_type_array)) {
			snprintf(err, errlen, "exec.args: not a list");
			return -EINVAL;
		}
		n = json_object_array_length(args);
	}
	if ((x->argv = calloc(n + 2, sizeof(char *))) == NULL)
		return -ENOMEM;
	if (cmd[0] != '/' && strchr(cmd, '/') != NULL && dir != NULL) {
		if (asprintf(&x->argv[0], "%s/%s", dir, cmd) < 0)
			x->argv[0] = NULL;
	} else {
		x->argv[0] = strdup(cmd);
	}
	if (x->argv[0] == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(args, i);
		if (!json_object_is_type(a, json_type_string)) {
			snprintf(err, errlen, "exec.args[%zu]: not a string", i);
			return -EINVAL;
		}
		if ((x->argv[i + 1] = strdup(json_object_get_string(a))) == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* env: [{name, value}...] as "name=value". */
static int
parse_env(struct kapi_exec *x, json_object *exec, char *err, size_t errlen)
{
	json_object *env = NULL, *e;
	const char *name, *value;
	size_t i, n = 0;

	if (json_object_object_get_ex(exec, "env", &env) && env != NULL) {
		if (!json_object_is_type(env, json_type_array)) {
			snprintf(err, errlen, "exec.env: not a list");
			return -EINVAL;
		}
		n = json_object_array_length(env);
	}
	if ((x->env = calloc(n + 1, sizeof(char *))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(env, i);
		if ((name = jstr(e, "name")) == NULL || *name == '\0' ||
		    strchr(name, '=') != NULL ||
		    (value = jstr(e, "value")) == NULL) {
			snprintf(err, errlen, "exec.env[%zu]: wants a name and a "
			    "value", i);
			return -EINVAL;
		}
		if (asprintf(&x->env[i], "%s=%s", name, value) < 0) {
			x->env[i] = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

static int
parse_conf(struct kapi_exec *x, json_object *exec, const char *dir,
    char *err, size_t errlen)
{
	const char *api, *cmd, *mode, *hint;
	json_object *v;
	size_t i;
	int r;

	if (!json_object_is_type(exec, json_type_object)) {
		snprintf(err, errlen, "exec: not a mapping");
		return -EINVAL;
	}
	if ((api = jstr(exec, "apiVersion")) == NULL) {
		snprintf(err, errlen, "exec.apiVersion: missing (%s)",
		    api_versions[0]);
		return -EINVAL;
	}
	for (i = 0; i < sizeof(api_versions) / sizeof(api_versions[0]); i++)
		if (strcmp(api, api_versions[i]) == 0)
			break;
	if (i == sizeof(api_versions) / sizeof(api_versions[0])) {
		snprintf(err, errlen, "exec.apiVersion: '%s' is not supported "
		    "(%s or %s)", api, api_versions[0], api_versions[1]);
		return -EINVAL;
	}
	if ((x->api_version = strdup(api)) == NULL)
		return -ENOMEM;
	if ((cmd = jstr(exec, "command")) == NULL || *cmd == '\0') {
		snprintf(err, errlen, "exec.command: missing");
		return -EINVAL;
	}
	/* v1 requires interactiveMode; v1beta1 defaults to IfAvailable. */
	x->imode = IMODE_IF_AVAILABLE;
	if ((mode = jstr(exec, "interactiveMode")) != NULL) {
		for (i = 0; i < sizeof(imodes) / sizeof(imodes[0]); i++)
			if (strcmp(mode, imodes[i].name) == 0)
				break;
		if (i == sizeof(imodes) / sizeof(imodes[0])) {
			snprintf(err, errlen, "exec.interactiveMode: '%s' is "
			    "none of Never, IfAvailable, Always", mode);
			return -EINVAL;
		}
		x->imode = imodes[i].mode;
	} else if (strcmp(api, api_versions[0]) == 0) {
		snprintf(err, errlen, "exec.interactiveMode: required by %s "
		    "(Never, IfAvailable or Always)", api);
		return -EINVAL;
	}
	if ((hint = jstr(exec, "installHint")) != NULL &&
	    (x->install_hint = strdup(hint)) == NULL)
		return -ENOMEM;
	if (json_object_object_get_ex(exec, "provideClusterInfo", &v))
		x->provide_cluster = json_object_get_boolean(v);
	if ((r = parse_argv(x, exec, cmd, dir, err, errlen)) < 0)
		return r;
	return parse_env(x, exec, err, errlen);
}

int
kapi_exec_new(json_object *exec, const char *dir, const char *server,
    const char *ca_pem, struct kapi_exec **out, char *err, size_t errlen)
{
	struct kapi_exec *x;
	int r;

	*out = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -ENOMEM;
	pthread_mutex_init(&x->mu, NULL);
	r = parse_conf(x, exec, dir, err, errlen);
	if (r == 0 && ((server != NULL && (x->server = strdup(server)) ==
	    NULL) || (ca_pem != NULL && (x->ca_pem = strdup(ca_pem)) == NULL)))
		r = -ENOMEM;
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (r < 0) {
		kapi_exec_free(x);
		return r;
	}
	*out = x;
	return 0;
}

int
kapi_exec_dup(const struct kapi_exec *s, struct kapi_exec **out)
{
	struct kapi_exec *x;

	*out = NULL;
	if (s == NULL)
		return 0;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -ENOMEM;
	pthread_mutex_init(&x->mu, NULL);
	x->imode = s->imode;
	x->provide_cluster = s->provide_cluster;
	x->allow_terminal = s->allow_terminal;
	if ((x->api_version = strdup(s->api_version)) == NULL ||
	    (x->argv = strv_dup(s->argv)) == NULL ||
	    (x->env = strv_dup(s->env)) == NULL ||
	    (s->install_hint && !(x->install_hint = strdup(s->install_hint))) ||
	    (s->server && !(x->server = strdup(s->server))) ||
	    (s->ca_pem && !(x->ca_pem = strdup(s->ca_pem)))) {
		kapi_exec_free(x);
		return -ENOMEM;
	}
	*out = x;
	return 0;
}

void
kapi_exec_allow_terminal(struct kapi_exec *x, bool allow)
{
	if (x != NULL)
		x->allow_terminal = allow;
}

/* ---- what the plugin prints ------------------------------------------------ */

int
kapi_exec_parse(const char *buf, size_t len, const char *api_version,
    struct kapi_exec_cred *out, char *err, size_t errlen)
{
	json_tokener *tok;
	json_object *o = NULL, *st;
	const char *api, *kind, *token, *cert, *key, *exp;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	if ((tok = json_tokener_new()) == NULL)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, buf, (int)(len > KAPI_EXEC_MAX_OUTPUT ?
	    KAPI_EXEC_MAX_OUTPUT : len));
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "it did not print an ExecCredential "
		    "(JSON)");
		goto out;
	}
	api = jstr(o, "apiVersion");
	kind = jstr(o, "kind");
	if (kind == NULL || strcmp(kind, "ExecCredential") != 0 ||
	    api == NULL || strcmp(api, api_version) != 0) {
		snprintf(err, errlen, "it printed kind %s of apiVersion %s, not "
		    "an ExecCredential of %s", kind ? kind : "(none)",
		    api ? api : "(none)", api_version);
		goto out;
	}
	if (!json_object_object_get_ex(o, "status", &st) ||
	    !json_object_is_type(st, json_type_object)) {
		snprintf(err, errlen, "its ExecCredential has no status");
		goto out;
	}
	token = jstr(st, "token");
	cert = jstr(st, "clientCertificateData");
	key = jstr(st, "clientKeyData");
	if ((token == NULL || *token == '\0') && (cert == NULL || key == NULL)) {
		snprintf(err, errlen, "its ExecCredential's status holds neither "
		    "a token nor clientCertificateData and clientKeyData");
		goto out;
	}
	if ((cert == NULL) != (key == NULL)) {
		snprintf(err, errlen, "its ExecCredential's status has %s "
		    "without %s", cert ? "clientCertificateData" :
		    "clientKeyData", cert ? "clientKeyData" :
		    "clientCertificateData");
		goto out;
	}
	if ((exp = jstr(st, "expirationTimestamp")) != NULL &&
	    rfc3339_parse(exp, &out->expires) < 0) {
		snprintf(err, errlen, "its expirationTimestamp '%s' is not an "
		    "RFC 3339 time", exp);
		goto out;
	}
	if ((token != NULL && *token != '\0' &&
	    (out->token = strdup(token)) == NULL) ||
	    (cert != NULL && (out->cert = strdup(cert)) == NULL) ||
	    (key != NULL && (out->key = strdup(key)) == NULL)) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		kapi_exec_cred_clear(out);
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

/* ---- running it ---------------------------------------------------------- */

/* "KUBERNETES_EXEC_INFO=...": what the plugin is asked for. */
static char *
exec_info(const struct kapi_exec *x, bool interactive)
{
	json_object *o = json_object_new_object(), *spec, *cl;
	char *ca = NULL, *s;

	json_object_object_add(o, "apiVersion",
	    json_object_new_string(x->api_version));
	json_object_object_add(o, "kind",
	    json_object_new_string("ExecCredential"));
	spec = json_object_new_object();
	json_object_object_add(spec, "interactive",
	    json_object_new_boolean(interactive));
	if (x->provide_cluster && x->server != NULL) {
		cl = json_object_new_object();
		json_object_object_add(cl, "server",
		    json_object_new_string(x->server));
		if (x->ca_pem != NULL && base64_encode(x->ca_pem,
		    strlen(x->ca_pem), &ca) == 0)
			json_object_object_add(cl, "certificate-authority-data",
			    json_object_new_string(ca));
		json_object_object_add(spec, "cluster", cl);
	}
	json_object_object_add(o, "spec", spec);
	if (asprintf(&s, "KUBERNETES_EXEC_INFO=%s",
	    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		s = NULL;
	json_object_put(o);
	free(ca);
	return s;
}

/* Our environment, then the kubeconfig's (replacing the same names), then
 * KUBERNETES_EXEC_INFO. The strings are borrowed; free the array. */
static char **
plugin_env(const struct kapi_exec *x, char *info)
{
	size_t n = 0, m = 0, i, j, k = 0;
	const char *eq;
	char **v;

	while (environ[n] != NULL)
		n++;
	while (x->env[m] != NULL)
		m++;
	if ((v = calloc(n + m + 2, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		eq = strchr(environ[i], '=');
		for (j = 0; eq != NULL && j < m; j++)
			if (strncmp(environ[i], x->env[j],
			    (size_t)(eq - environ[i]) + 1) == 0)
				break;
		if (eq != NULL && j == m && strncmp(environ[i],
		    "KUBERNETES_EXEC_INFO=", 21) != 0)
			v[k++] = environ[i];
	}
	for (j = 0; j < m; j++)
		v[k++] = x->env[j];
	v[k] = info;
	return v;
}

/* Read fd to its end into *out (at most KAPI_EXEC_MAX_OUTPUT bytes) until
 * deadline (ms of clock_mono_ms, 0: none). */
static int
read_all(int fd, int64_t deadline, char **out, size_t *len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t cap = 4096;
	char *buf, *nb;
	ssize_t n;
	int wait;

	*len = 0;
	if ((buf = malloc(cap)) == NULL)
		return -ENOMEM;
	for (;;) {
		wait = -1;
		if (deadline > 0) {
			wait = (int)(deadline - clock_mono_ms());
			if (wait <= 0) {
				free(buf);
				return -ETIMEDOUT;
			}
		}
		if (poll(&p, 1, wait) < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -errno;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (*len + 1 >= cap) {
			if (cap >= KAPI_EXEC_MAX_OUTPUT) {
				free(buf);
				return -EFBIG;
			}
			if ((nb = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + *len, cap - 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -errno;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	buf[*len] = '\0';
	*out = buf;
	return 0;
}

/* Whether the plugin talks to the user, or -ENOTTY (Always without a
 * terminal). */
static int
interactive(const struct kapi_exec *x, char *err, size_t errlen)
{
	bool tty = x->allow_terminal && isatty(STDIN_FILENO);

	if (x->imode == IMODE_NEVER)
		return 0;
	if (x->imode == IMODE_ALWAYS && !tty) {
		snprintf(err, errlen, "the exec credential plugin %s needs a "
		    "terminal (interactiveMode: Always), and %s: run it once "
		    "in a terminal to log in, or use a kubeconfig whose user "
		    "does not need one", x->argv[0], x->allow_terminal ?
		    "standard input is not one" : "this program never hands "
		    "it one");
		return -ENOTTY;
	}
	return tty;
}

static int
spawn(const struct kapi_exec *x, bool tty, int outfd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char *info, **envp;
	sigset_t none, all;
	int r;

	if ((info = exec_info(x, tty)) == NULL)
		return -ENOMEM;
	if ((envp = plugin_env(x, info)) == NULL) {
		free(info);
		return -ENOMEM;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, outfd, STDOUT_FILENO);
	if (!tty)
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
		    O_RDONLY, 0);
	/* The daemon blocks signals in its threads: the plugin starts with
	 * none blocked and every handler at its default. */
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | (tty ? 0 : POSIX_SPAWN_SETSID));
	r = -posix_spawnp(pid, x->argv[0], &fa, &at, x->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(envp);
	free(info);
	return r;
}

/* The plugin's exit as words ("exited with status 3"). */
static void
describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "ended");
}

static int
run_plugin(struct kapi_exec *x, struct kapi_exec_cred *cred, char *err,
    size_t errlen)
{
	char *out = NULL, how[64], sub[256];
	int pfd[2] = { -1, -1 }, r, tty, status = 0;
	size_t len = 0;
	pid_t pid = -1;

	if ((tty = interactive(x, err, errlen)) < 0)
		return tty;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, errlen, "exec credential plugin: pipe: %s",
		    strerror(-r));
		return r;
	}
	r = spawn(x, tty, pfd[1], &pid);
	close(pfd[1]);
	if (r == -ENOENT || r == -EACCES) {
		snprintf(err, errlen, "the exec credential plugin '%s' of the "
		    "kubeconfig cannot be run: %s%s%s", x->argv[0],
		    strerror(-r), x->install_hint ? ". " : " (is it installed "
		    "and in PATH?)", x->install_hint ? x->install_hint : "");
		close(pfd[0]);
		return -ENOENT;
	}
	if (r < 0) {
		snprintf(err, errlen, "exec credential plugin %s: %s",
		    x->argv[0], strerror(-r));
		close(pfd[0]);
		return r;
	}
	x->runs++;
	r = read_all(pfd[0], tty ? 0 : clock_mono_ms() + KAPI_EXEC_TIMEOUT_MS, &out,
	    &len);
	close(pfd[0]);
	if (r < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == -ETIMEDOUT) {
		snprintf(err, errlen, "the exec credential plugin %s gave no "
		    "credential within %d s (without a terminal it cannot ask "
		    "for a login): log in first, e.g. with kubectl in a "
		    "terminal", x->argv[0], KAPI_EXEC_TIMEOUT_MS / 1000);
		return r;
	}
	if (r < 0) {
		snprintf(err, errlen, "exec credential plugin %s: reading its "
		    "output: %s", x->argv[0], strerror(-r));
		return r;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		describe_exit(status, how, sizeof(how));
		snprintf(err, errlen, "the exec credential plugin %s %s (its "
		    "messages are above): log in again, or check the "
		    "kubeconfig's user", x->argv[0], how);
		free(out);
		return -EACCES;
	}
	r = kapi_exec_parse(out, len, x->api_version, cred, sub, sizeof(sub));
	free(out);
	if (r == -EINVAL)
		snprintf(err, errlen, "the exec credential plugin %s: %s",
		    x->argv[0], sub);
	return r;
}

static int
cred_copy(const struct kapi_exec_cred *s, struct kapi_exec_cred *d)
{
	memset(d, 0, sizeof(*d));
	d->expires = s->expires;
	if ((s->token && !(d->token = strdup(s->token))) ||
	    (s->cert && !(d->cert = strdup(s->cert))) ||
	    (s->key && !(d->key = strdup(s->key)))) {
		kapi_exec_cred_clear(d);
		return -ENOMEM;
	}
	return 0;
}

int
kapi_exec_get(struct kapi_exec *x, int64_t now, struct kapi_exec_cred *out,
    char *err, size_t errlen)
{
	struct kapi_exec_cred fresh;
	int r = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&x->mu);
	if (!x->have || (x->cred.expires != 0 && now >= x->cred.expires)) {
		if ((r = run_plugin(x, &fresh, err, errlen)) == 0) {
			kapi_exec_cred_clear(&x->cred);
			x->cred = fresh;
			x->have = true;
		}
	}
	if (r == 0 && (r = cred_copy(&x->cred, out)) < 0)
		snprintf(err, errlen, "out of memory");
	pthread_mutex_unlock(&x->mu);
	return r;
}

void
kapi_exec_invalidate(struct kapi_exec *x)
{
	if (x == NULL)
		return;
	pthread_mutex_lock(&x->mu);
	x->have = false;
	pthread_mutex_unlock(&x->mu);
}

unsigned
kapi_exec_runs(struct kapi_exec *x)
{
	unsigned n;

	pthread_mutex_lock(&x->mu);
	n = x->runs;
	pthread_mutex_unlock(&x->mu);
	return n;
}
