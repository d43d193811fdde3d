/*
 * kapi_exec: a kubeconfig user's exec credential plugin, run the way
 * kubectl runs it (client.authentication.k8s.io/v1 and v1beta1
 * ExecCredential): most clusters' kubeconfigs (EKS, GKE, AKS, OIDC
 * logins) get their credential this way.
 *
 * The plugin is the user's `exec.command` with `exec.args`, our
 * environment plus `exec.env`, and KUBERNETES_EXEC_INFO holding an
 * ExecCredential whose spec says whether it may talk to the user
 * (`interactive`) and, with `provideClusterInfo`, which cluster it is
 * for. It prints an ExecCredential whose status holds a bearer token or
 * a client certificate and key (PEM), and optionally an
 * expirationTimestamp: the credential is kept until then (or, without
 * one, until the server refuses it: kapi_exec_invalidate after a 401),
 * then the plugin runs again.
 *
 * interactiveMode (v1 requires it; v1beta1 defaults to IfAvailable):
 *   Never        the plugin's standard input is /dev/null and it runs in
 *                a session of its own, without a controlling terminal:
 *                it can read no terminal at all;
 *   IfAvailable  it gets our standard input when the caller allows it
 *                (kapi_exec_allow_terminal) and that input is a
 *                terminal; otherwise as Never;
 *   Always       the same, and an error when there is no terminal.
 * The daemon never allows a terminal; the CLI does. Its standard error
 * is ours (where plugins print login prompts and errors). A plugin that
 * may not use a terminal has KAPI_EXEC_TIMEOUT_MS to answer.
 *
 * Thread-safe: a kapi_exec runs one plugin at a time and shares its
 * cached credential between the threads that use it.
 */
#ifndef NPR_KAPI_EXEC_H
#define NPR_KAPI_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define KAPI_EXEC_TIMEOUT_MS 60000	/* a plugin without a terminal */
#define KAPI_EXEC_MAX_OUTPUT (1u << 20)	/* what it may print, bytes */

/* A credential; every string owned (kapi_exec_cred_clear). */
struct kapi_exec_cred {
	char *token;		/* bearer token, or NULL */
	char *cert, *key;	/* client certificate and key (PEM), or NULL */
	int64_t expires;	/* Unix s; 0 when the plugin gave no expiry */
};

struct kapi_exec;

/*
 * The plugin of a kubeconfig user's `exec` mapping (borrowed). dir is
 * the kubeconfig's directory: a command with a '/' in it is relative to
 * it, as kubectl has it; a bare name is looked up in PATH. server and
 * ca_pem (may be NULL) describe the cluster for provideClusterInfo.
 * Returns 0 and *out (kapi_exec_free), -EINVAL with err naming the field
 * ("exec.apiVersion: ..."), or -ENOMEM.
 */
int kapi_exec_new(json_object *exec, const char *dir, const char *server,
    const char *ca_pem, struct kapi_exec **out, char *err, size_t errlen);
/* A copy of the configuration of src (the cached credential is not
 * copied). 0 or -ENOMEM. NULL gives NULL. */
int kapi_exec_dup(const struct kapi_exec *src, struct kapi_exec **out);
void kapi_exec_free(struct kapi_exec *x);

/* Whether the plugin may be handed our standard input when it is a
 * terminal (default: no). */
void kapi_exec_allow_terminal(struct kapi_exec *x, bool allow);

/*
 * The credential to use at time now: the cached one while it has not
 * expired, else the plugin's (run now, waited for). Fills *out with
 * copies (kapi_exec_cred_clear). 0, or -errno with err saying what went
 * wrong and what to do: -ENOENT the command was not found (with the
 * kubeconfig's installHint), -EACCES it failed or printed no credential,
 * -EINVAL it printed something else than an ExecCredential,
 * -ETIMEDOUT, -ENOTTY (Always without a terminal), -ENOMEM.
 */
int kapi_exec_get(struct kapi_exec *x, int64_t now, struct kapi_exec_cred *out,
    char *err, size_t errlen);
/* Forget the cached credential (the server answered 401 with it). */
void kapi_exec_invalidate(struct kapi_exec *x);
/* How often the plugin ran. */
unsigned kapi_exec_runs(struct kapi_exec *x);

/*
 * Parse what a plugin printed: an ExecCredential of api_version with a
 * status holding a token, or clientCertificateData and clientKeyData,
 * and an optional expirationTimestamp (RFC 3339). 0 and *out, or
 * -EINVAL with err, -ENOMEM. Pure: for tests and the fuzzer.
 */
int kapi_exec_parse(const char *buf, size_t len, const char *api_version,
    struct kapi_exec_cred *out, char *err, size_t errlen);
void kapi_exec_cred_clear(struct kapi_exec_cred *c);

#endif
