/*
 * cniconf: parsing the plugin's stdin, CNI_ARGS and prevResult. Pure:
 * buffers in, structs out, no I/O.
 */
#include "cni/cniconf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

const char *const cni_supported_versions[] = {
	"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL,
};

int
cni_err_set(struct cni_err *err, int code, const char *details,
    const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	snprintf(err->details, sizeof(err->details), "%s",
	    details ? details : "");
	return code;
}

char *
cni_err_json(const char *version, const struct cni_err *err)
{
	json_object *o;
	char *s = NULL;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "cniVersion", json_object_new_string(
	    version && cni_version_supported(version) ? version :
	    CNI_VERSION_LATEST));
	json_object_object_add(o, "code", json_object_new_int(err->code));
	json_object_object_add(o, "msg", json_object_new_string(err->msg));
	if (err->details[0] != '\0')
		json_object_object_add(o, "details",
		    json_object_new_string(err->details));
	if (asprintf(&s, "%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		s = NULL;
	json_object_put(o);
	return s;
}

bool
cni_version_supported(const char *v)
{
	int i;

	if (v == NULL)
		return false;
	for (i = 0; cni_supported_versions[i] != NULL; i++)
		if (strcmp(v, cni_supported_versions[i]) == 0)
			return true;
	return false;
}

int
cni_version_cmp(const char *a, const char *b)
{
	unsigned int x[3] = { 0 }, y[3] = { 0 };
	int i;

	sscanf(a, "%u.%u.%u", &x[0], &x[1], &x[2]);
	sscanf(b, "%u.%u.%u", &y[0], &y[1], &y[2]);
	for (i = 0; i < 3; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

/* Copy a string member into dst. 0 absent (dst untouched), 1 copied,
 * -EINVAL wrong type, -ENAMETOOLONG too long. */
static int
get_str(json_object *o, const char *key, char *dst, size_t len)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	if (strlen(s) >= len)
		return -ENAMETOOLONG;
	memcpy(dst, s, strlen(s) + 1);
	return 1;
}

static int
str_field(json_object *o, const char *key, char *dst, size_t len,
    struct cni_err *err)
{
	int ret = get_str(o, key, dst, len);

	if (ret == -EINVAL)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "%s must be a string", key), -EINVAL;
	if (ret == -ENAMETOOLONG)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "%s is too long", key), -EINVAL;
	return 0;
}

/* markBit: a number or a string ("0x00100000", "1048576"), one bit. */
static int
parse_mark(json_object *v, uint32_t *out)
{
	unsigned long long n;
	const char *s;
	char *end;

	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);

		if (i <= 0 || i > UINT32_MAX)
			return -EINVAL;
		n = (unsigned long long)i;
	} else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (*s == '\0' || *s == '-' || *s == '+')
			return -EINVAL;
		errno = 0;
		n = strtoull(s, &end, 0);
		if (errno != 0 || *end != '\0' || n > UINT32_MAX)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (n == 0 || (n & (n - 1)) != 0)
		return -EINVAL;
	*out = (uint32_t)n;
	return 0;
}

static int
int_field(json_object *o, const char *key, int64_t lo, int64_t hi,
    int64_t *out, struct cni_err *err)
{
	json_object *v;
	int64_t i;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "%s must be an integer", key), -EINVAL;
	i = json_object_get_int64(v);
	if (i < lo || i > hi)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "%s must be in %lld..%lld", key, (long long)lo,
		    (long long)hi), -EINVAL;
	*out = i;
	return 0;
}

static int
parse_annotations(json_object *root, struct cni_conf *c, struct cni_err *err)
{
	json_object *rc, *ann;

	if (!json_object_object_get_ex(root, "runtimeConfig", &rc) ||
	    !json_object_is_type(rc, json_type_object))
		return 0;
	if (!json_object_object_get_ex(rc, "io.kubernetes.cri.pod-annotations",
	    &ann) || ann == NULL)
		return 0;
	if (!json_object_is_type(ann, json_type_object))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "io.kubernetes.cri.pod-annotations must be an object"),
		    -EINVAL;
	/* The CRI's names for the sandbox's identity, where a runtime
	 * passes them as annotations; anything else is not ours. Values too
	 * long or of the wrong type are skipped, not fatal. */
	get_str(ann, "io.kubernetes.pod.namespace", c->ann_namespace,
	    sizeof(c->ann_namespace));
	get_str(ann, "io.kubernetes.pod.name", c->ann_name,
	    sizeof(c->ann_name));
	get_str(ann, "io.kubernetes.pod.uid", c->ann_uid, sizeof(c->ann_uid));
	return 0;
}

static int
parse_valid(json_object *root, struct cni_conf *c, struct cni_err *err)
{
	json_object *arr, *it;
	size_t i, n;

	if (!json_object_object_get_ex(root, "cni.dev/valid-attachments",
	    &arr) || arr == NULL)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "cni.dev/valid-attachments must be an array"), -EINVAL;
	c->has_valid = true;
	n = json_object_array_length(arr);
	if (n == 0)
		return 0;
	if ((c->valid = calloc(n, sizeof(*c->valid))) == NULL)
		return cni_err_set(err, CNI_ERR_IO, NULL, "out of memory"),
		    -ENOMEM;
	for (i = 0; i < n; i++) {
		struct cni_attachment_key *k = &c->valid[c->nvalid];

		it = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(it, json_type_object) ||
		    get_str(it, "containerID", k->container_id,
		    sizeof(k->container_id)) != 1 ||
		    get_str(it, "ifname", k->ifname, sizeof(k->ifname)) != 1)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
			    "cni.dev/valid-attachments[%zu] needs string "
			    "containerID and ifname", i), -EINVAL;
		c->nvalid++;
	}
	return 0;
}

static int
parse_fields(json_object *root, struct cni_conf *c, struct cni_err *err)
{
	json_object *v;
	char buf[16];
	int64_t i;
	int ret;

	if (str_field(root, "cniVersion", c->version, sizeof(c->version),
	    err) != 0 ||
	    str_field(root, "name", c->name, sizeof(c->name), err) != 0 ||
	    str_field(root, "db", c->db, sizeof(c->db), err) != 0 ||
	    str_field(root, "logFile", c->log_file, sizeof(c->log_file),
	    err) != 0)
		return -EINVAL;
	if (c->version[0] != '\0' && !cni_version_supported(c->version))
		return cni_err_set(err, CNI_ERR_INCOMPATIBLE_VERSION,
		    "supported: 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0",
		    "unsupported cniVersion %s", c->version), -EINVAL;
	if (c->db[0] == '\0')
		snprintf(c->db, sizeof(c->db), "%s", STORE_DEFAULT_PATH);
	/* Absent: the default; "" turns the hand-over off. */
	snprintf(c->release_socket, sizeof(c->release_socket), "%s",
	    FDPASS_RELEASE_PATH);
	if (str_field(root, "releaseSocket", c->release_socket,
	    sizeof(c->release_socket), err) != 0)
		return -EINVAL;

	buf[0] = '\0';
	if ((ret = get_str(root, "logLevel", buf, sizeof(buf))) < 0 ||
	    (ret == 1 && (c->log_level = log_level_parse(buf)) < 0))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "logLevel must be error, warn, info or debug"), -EINVAL;

	buf[0] = '\0';
	if ((ret = get_str(root, "failurePolicy", buf, sizeof(buf))) < 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "failurePolicy must be ignore or fail"), -EINVAL;
	if (ret == 1) {
		if (strcmp(buf, "ignore") == 0)
			c->policy = CNI_POLICY_IGNORE;
		else if (strcmp(buf, "fail") == 0)
			c->policy = CNI_POLICY_FAIL;
		else
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
			    "failurePolicy must be ignore or fail"), -EINVAL;
	}

	if (json_object_object_get_ex(root, "markBit", &v) && v != NULL &&
	    parse_mark(v, &c->nft.mark_bit) != 0)
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "markBit must be a single bit, as a number or a string "
		    "such as \"0x00100000\""), -EINVAL;
	i = c->nft.nflog_group;
	if (int_field(root, "nflogGroup", 0, 65535, &i, err) != 0)
		return -EINVAL;
	c->nft.nflog_group = (uint16_t)i;
	i = c->nft.snaplen;
	if (int_field(root, "nflogSnaplen", 64, 65535, &i, err) != 0)
		return -EINVAL;
	c->nft.snaplen = (uint16_t)i;

	if (json_object_object_get_ex(root, "prevResult", &v) && v != NULL)
		c->prev = v;
	if (parse_annotations(root, c, err) != 0)
		return -EINVAL;
	return parse_valid(root, c, err);
}

int
cni_conf_parse(const char *buf, size_t len, struct cni_conf *c,
    struct cni_err *err)
{
	struct json_tokener *tok;
	json_object *root = NULL;
	enum json_tokener_error jerr;
	size_t end;
	int ret = -EINVAL;

	memset(c, 0, sizeof(*c));
	memset(err, 0, sizeof(*err));
	c->log_level = LOG_LVL_WARN;
	c->policy = CNI_POLICY_IGNORE;
	nftrules_conf_init(&c->nft);

	if (len == 0) {
		cni_err_set(err, CNI_ERR_DECODE, NULL,
		    "empty network configuration on stdin");
		return -EINVAL;
	}
	if (len > CNI_STDIN_MAX || len > INT_MAX) {
		cni_err_set(err, CNI_ERR_DECODE, NULL,
		    "network configuration larger than %d bytes",
		    CNI_STDIN_MAX);
		return -EINVAL;
	}
	if ((tok = json_tokener_new()) == NULL) {
		cni_err_set(err, CNI_ERR_IO, NULL, "out of memory");
		return -ENOMEM;
	}
	root = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (root == NULL || jerr != json_tokener_success) {
		cni_err_set(err, CNI_ERR_DECODE, NULL,
		    "network configuration is not JSON: %s",
		    root == NULL && jerr == json_tokener_continue ?
		    "unexpected end of input" :
		    json_tokener_error_desc(jerr));
		goto fail;
	}
	/* Only white space may follow the document. */
	for (; end < len; end++)
		if (strchr(" \t\r\n", buf[end]) == NULL || buf[end] == '\0') {
			cni_err_set(err, CNI_ERR_DECODE, NULL,
			    "trailing data after the JSON document");
			goto fail;
		}
	if (!json_object_is_type(root, json_type_object)) {
		cni_err_set(err, CNI_ERR_DECODE, NULL,
		    "network configuration must be a JSON object");
		goto fail;
	}
	c->root = root;
	if ((ret = parse_fields(root, c, err)) != 0)
		goto fail;
	return 0;
fail:
	free(c->valid);
	c->valid = NULL;
	c->root = NULL;
	c->prev = NULL;
	json_object_put(root);
	return ret < 0 ? ret : -EINVAL;
}

void
cni_conf_free(struct cni_conf *c)
{
	if (c == NULL)
		return;
	free(c->valid);
	c->valid = NULL;
	json_object_put(c->root);
	c->root = NULL;
	c->prev = NULL;
}

/* ---- CNI_ARGS ---------------------------------------------------------- */

struct arg_field {
	const char *key;
	size_t off;
	size_t len;
};

static const struct arg_field arg_fields[] = {
	{ "K8S_POD_NAMESPACE", offsetof(struct cni_args, pod_namespace),
	    STORE_NAME_LEN },
	{ "K8S_POD_NAME", offsetof(struct cni_args, pod_name),
	    STORE_NAME_LEN },
	{ "K8S_POD_UID", offsetof(struct cni_args, pod_uid), STORE_ID_LEN },
	{ "K8S_POD_INFRA_CONTAINER_ID",
	    offsetof(struct cni_args, infra_container_id), STORE_ID_LEN },
};

int
cni_args_parse(const char *s, struct cni_args *args)
{
	const char *p, *semi, *eq;
	size_t i, klen, vlen;

	memset(args, 0, sizeof(*args));
	if (s == NULL)
		return 0;
	for (p = s; *p != '\0'; p = *semi ? semi + 1 : semi) {
		semi = strchrnul(p, ';');
		if (semi == p)		/* empty pair: "a=b;;c=d" or ";" */
			continue;
		eq = memchr(p, '=', semi - p);
		if (eq == NULL || eq == p)
			return -EINVAL;
		klen = eq - p;
		vlen = semi - eq - 1;
		for (i = 0; i < sizeof(arg_fields) / sizeof(arg_fields[0]);
		    i++) {
			const struct arg_field *f = &arg_fields[i];
			char *dst = (char *)args + f->off;

			if (strlen(f->key) != klen ||
			    strncmp(f->key, p, klen) != 0)
				continue;
			if (vlen >= f->len)
				return -ENAMETOOLONG;
			memcpy(dst, eq + 1, vlen);
			dst[vlen] = '\0';
		}
	}
	return 0;
}

/* ---- prevResult ------------------------------------------------------- */

/* "198.18.1.5/24": the address itself (host bits kept) and the prefix. */
static int
parse_ip_cidr(const char *s, struct addr *a, uint8_t *prefix)
{
	char buf[ADDR_CIDR_STRLEN];
	char *slash, *end;
	long p;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	if ((slash = strchr(buf, '/')) == NULL)
		return -EINVAL;
	*slash = '\0';
	if (addr_parse(buf, a) != 0)
		return -EINVAL;
	errno = 0;
	p = strtol(slash + 1, &end, 10);
	if (errno != 0 || end == slash + 1 || *end != '\0' || p < 0 ||
	    p > (a->family == AF_INET ? 32 : 128))
		return -EINVAL;
	*prefix = (uint8_t)p;
	return 0;
}

static int
prev_ips(json_object *prev, struct cni_prev *out, struct cni_err *err)
{
	json_object *arr, *it, *v;
	const char *ver;
	size_t i, n;

	if (!json_object_object_get_ex(prev, "ips", &arr) || arr == NULL)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "prevResult.ips must be an array"), -EINVAL;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		struct addr a;
		uint8_t prefix;

		it = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(it, json_type_object) ||
		    !json_object_object_get_ex(it, "address", &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    parse_ip_cidr(json_object_get_string(v), &a,
		    &prefix) != 0)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
			    "prevResult.ips[%zu].address must be an "
			    "address/prefix string", i), -EINVAL;
		/* 0.3.x and 0.4.0 results say "version": "4" or "6". */
		if (json_object_object_get_ex(it, "version", &v) && v != NULL) {
			ver = json_object_is_type(v, json_type_string) ?
			    json_object_get_string(v) : "";
			if (strcmp(ver, a.family == AF_INET ? "4" : "6") != 0)
				return cni_err_set(err,
				    CNI_ERR_INVALID_CONFIG, NULL,
				    "prevResult.ips[%zu].version does not "
				    "match its address", i), -EINVAL;
		}
		if (out->naddrs >= STORE_MAX_ADDRS)
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
			    "prevResult has more than %d addresses",
			    STORE_MAX_ADDRS), -EINVAL;
		out->addrs[out->naddrs] = a;
		out->prefixes[out->naddrs] = prefix;
		out->naddrs++;
	}
	return 0;
}

static int
prev_ifs(json_object *prev, struct cni_prev *out, struct cni_err *err)
{
	json_object *arr, *it, *v;
	const char *name, *sandbox;
	size_t i, n;

	if (!json_object_object_get_ex(prev, "interfaces", &arr) ||
	    arr == NULL)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "prevResult.interfaces must be an array"), -EINVAL;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		it = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(it, json_type_object) ||
		    !json_object_object_get_ex(it, "name", &v) ||
		    !json_object_is_type(v, json_type_string))
			return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
			    "prevResult.interfaces[%zu] needs a string name",
			    i), -EINVAL;
		name = json_object_get_string(v);
		sandbox = "";
		if (json_object_object_get_ex(it, "sandbox", &v) && v != NULL) {
			if (!json_object_is_type(v, json_type_string))
				return cni_err_set(err,
				    CNI_ERR_INVALID_CONFIG, NULL,
				    "prevResult.interfaces[%zu].sandbox must "
				    "be a string", i), -EINVAL;
			sandbox = json_object_get_string(v);
		}
		if (sandbox[0] != '\0' || name[0] == '\0' ||
		    strlen(name) >= IFNAMSIZ)
			continue;
		if (out->nhost < (int)(sizeof(out->host_ifs) /
		    sizeof(out->host_ifs[0])))
			memcpy(out->host_ifs[out->nhost++], name,
			    strlen(name) + 1);
	}
	return 0;
}

int
cni_prev_parse(json_object *prev, struct cni_prev *out, struct cni_err *err)
{
	memset(out, 0, sizeof(*out));
	if (prev == NULL || !json_object_is_type(prev, json_type_object))
		return cni_err_set(err, CNI_ERR_INVALID_CONFIG, NULL,
		    "prevResult must be an object"), -EINVAL;
	if (prev_ips(prev, out, err) != 0 || prev_ifs(prev, out, err) != 0)
		return -EINVAL;
	return 0;
}
