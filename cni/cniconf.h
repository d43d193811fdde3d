/*
 * cniconf: the CNI plugin's input, parsed from buffers (pure functions, no
 * I/O, fuzzable): the network configuration on stdin (cni_conf_parse), the
 * CNI_ARGS string (cni_args_parse) and prevResult (cni_prev_parse).
 *
 * Errors carry a CNI error code (struct cni_err) so the caller can print
 * the spec's error JSON directly.
 */
#ifndef NPR_CNICONF_H
#define NPR_CNICONF_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "lib/fdpass.h"
#include "lib/store.h"
#include "nft/nftrules.h"

/* Spec error codes (CNI 1.1.0, "Error" section) and ours (100+). */
enum cni_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_LATER = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	CNI_ERR_NFTABLES = 100,		/* installing or reading the rules */
	CNI_ERR_STORE = 101,		/* the SQLite store */
	CNI_ERR_NETNS = 102,		/* entering the pod's netns */
	CNI_ERR_CHECK = 103,		/* CHECK found something missing */
};

/* Biggest stdin accepted: a real config with prevResult is a few KiB. */
#define CNI_STDIN_MAX (1024 * 1024)

#define CNI_VERSION_LATEST "1.1.0"

struct cni_err {
	int code;		/* enum cni_code, 0 = no error */
	char msg[256];
	char details[512];
};

enum cni_policy {
	CNI_POLICY_IGNORE = 0,	/* log, pass prevResult through */
	CNI_POLICY_FAIL = 1,	/* return the error to the runtime */
};

struct cni_attachment_key {
	char container_id[STORE_ID_LEN];
	char ifname[STORE_IFNAME_LEN];
};

struct cni_conf {
	char version[16];		/* cniVersion, "" when absent */
	char name[STORE_NAME_LEN];
	char db[STORE_PATH_LEN];	/* default STORE_DEFAULT_PATH */
	char log_file[STORE_PATH_LEN];	/* "" = stderr */
	int log_level;			/* enum log_level, default warn */
	int policy;			/* enum cni_policy */
	struct nftrules_conf nft;
	/* releaseSocket: where netpol-recorderd takes the nftables socket
	 * over (lib/fdpass.h); "" = close it ourselves. */
	char release_socket[FDPASS_PATH_MAX + 1];
	/* runtimeConfig "io.kubernetes.cri.pod-annotations": pod identity
	 * when CNI_ARGS lacks it. "" when not given. */
	char ann_namespace[STORE_NAME_LEN];
	char ann_name[STORE_NAME_LEN];
	char ann_uid[STORE_ID_LEN];
	/* GC: "cni.dev/valid-attachments" (owned, nvalid entries). */
	struct cni_attachment_key *valid;
	int nvalid;
	bool has_valid;
	/* The whole document (owned) and prevResult inside it (borrowed,
	 * NULL when absent). */
	json_object *root;
	json_object *prev;
};

/*
 * Parse the configuration in buf[0..len). Unknown keys are ignored.
 * Returns 0, or -EINVAL with err filled (code 6 for bad JSON, 7 for bad
 * values, 1 for an unsupported cniVersion). On success the caller frees
 * with cni_conf_free(); on failure nothing is left to free.
 */
int cni_conf_parse(const char *buf, size_t len, struct cni_conf *conf,
    struct cni_err *err);
void cni_conf_free(struct cni_conf *conf);

/* Is v one of the versions this plugin speaks? */
bool cni_version_supported(const char *v);
/* Compare dotted versions: <0, 0, >0. */
int cni_version_cmp(const char *a, const char *b);
/* The JSON array of supported versions, as text (static). */
extern const char *const cni_supported_versions[];

struct cni_args {
	char pod_namespace[STORE_NAME_LEN];
	char pod_name[STORE_NAME_LEN];
	char pod_uid[STORE_ID_LEN];
	char infra_container_id[STORE_ID_LEN];
};

/*
 * Parse CNI_ARGS ("K=V;K=V", any order, unknown keys such as IgnoreUnknown
 * skipped). NULL or "" gives empty fields. -EINVAL for a pair without '='
 * or an empty key, -ENAMETOOLONG for a value too long for its field.
 */
int cni_args_parse(const char *s, struct cni_args *args);

/* What this plugin needs from prevResult. */
struct cni_prev {
	int naddrs;
	struct addr addrs[STORE_MAX_ADDRS];
	uint8_t prefixes[STORE_MAX_ADDRS];
	/* Interfaces without "sandbox": the host side (veth, bridge). */
	int nhost;
	char host_ifs[8][IFNAMSIZ];
};

/*
 * Check the shape of prevResult and extract addresses and host
 * interfaces. -EINVAL with err (code 7) for a wrong shape: not an object,
 * "ips"/"interfaces" not arrays of objects, an address that does not
 * parse, a "version" that contradicts the address.
 */
int cni_prev_parse(json_object *prev, struct cni_prev *out,
    struct cni_err *err);

/* Fill err (printf-style msg, details verbatim or NULL) and return code. */
int cni_err_set(struct cni_err *err, int code, const char *details,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * The spec's error object {"cniVersion","code","msg","details"} as a
 * string (malloc'd, the caller frees), newline-terminated. NULL on ENOMEM.
 */
char *cni_err_json(const char *version, const struct cni_err *err);

#endif
