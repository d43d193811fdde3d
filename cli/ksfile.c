/*
 * ksfile: KnownServer YAML documents into a ks_set (part of the ks_
 * module, cli/knownservers.h). Parsed with libyaml's document loader so
 * every node keeps its line and column for messages.
 */
#include "cli/knownservers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#define KS_API_GROUP "spdx.softwarecomposition.kubescape.io/"
#define KS_API_VERSION KS_API_GROUP "v1beta1"
#define KS_MAX_FILE (64u << 20)

struct ksparse {
	yaml_document_t *doc;
	const char *fname;
	char *err;
	size_t errlen;
};

static int __attribute__((format(printf, 3, 4)))
fail_at(struct ksparse *p, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int off;

	off = snprintf(p->err, p->errlen, "%s:%zu:%zu: ", p->fname,
	    n->start_mark.line + 1, n->start_mark.column + 1);
	if (off < 0 || (size_t)off >= p->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + off, p->errlen - (size_t)off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The value node of key in mapping m, or NULL; *key_node gets the key. */
static yaml_node_t *
map_get(yaml_document_t *doc, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k;

	for (pair = m->data.mapping.pairs.start;
	    pair < m->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(doc, pair->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

/* A string field: NULL with an error when missing (if required) or not a
 * scalar; "" for an optional missing one. */
static int
get_str(struct ksparse *p, yaml_node_t *m, const char *key, bool required,
    const char *what, const char **out)
{
	yaml_node_t *v = map_get(p->doc, m, key);

	*out = "";
	if (v == NULL) {
		if (required)
			return fail_at(p, m, "%s: missing field '%s'", what,
			    key);
		return 0;
	}
	if (v->type != YAML_SCALAR_NODE)
		return fail_at(p, v, "%s: '%s' must be a string", what, key);
	*out = (const char *)v->data.scalar.value;
	if (required && **out == '\0')
		return fail_at(p, v, "%s: '%s' is empty", what, key);
	return 0;
}

static bool
is_empty_doc(const yaml_node_t *root)
{
	const char *v;

	if (root->type != YAML_SCALAR_NODE)
		return false;
	if (root->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)root->data.scalar.value;
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0;
}

static int
parse_entry(struct ksparse *p, struct ks_set *into, const char *source,
    yaml_node_t *item)
{
	const char *cidr, *server, *name;
	struct addr_cidr c;
	yaml_node_t *v;
	int rc;

	if (item->type != YAML_MAPPING_NODE)
		return fail_at(p, item, "spec entries must be mappings with "
		    "ipBlock, name and server");
	if ((rc = get_str(p, item, "ipBlock", true, "spec entry",
	    &cidr)) < 0 ||
	    (rc = get_str(p, item, "server", false, "spec entry",
	    &server)) < 0 ||
	    (rc = get_str(p, item, "name", false, "spec entry", &name)) < 0)
		return rc;
	if (addr_cidr_parse(cidr, &c) < 0 || strchr(cidr, '/') == NULL) {
		v = map_get(p->doc, item, "ipBlock");
		return fail_at(p, v, "ipBlock: '%s' is not a CIDR (like "
		    "198.51.100.0/24 or 2001:db8::/48)", cidr);
	}
	rc = ks_add(into, source, &c, server, name);
	if (rc < 0)
		snprintf(p->err, p->errlen, "%s: out of memory", p->fname);
	return rc;
}

static int
parse_doc(struct ksparse *p, struct ks_set *into, yaml_node_t *root)
{
	const char *api, *kind, *source;
	yaml_node_t *meta, *spec, *item;
	yaml_node_item_t *it;
	int rc;

	if (root->type != YAML_MAPPING_NODE)
		return fail_at(p, root, "a KnownServer document must be a "
		    "mapping");
	if ((rc = get_str(p, root, "apiVersion", true, "document",
	    &api)) < 0 ||
	    (rc = get_str(p, root, "kind", true, "document", &kind)) < 0)
		return rc;
	if (strcmp(kind, "KnownServer") != 0)
		return fail_at(p, map_get(p->doc, root, "kind"),
		    "kind is '%s', expected KnownServer", kind);
	if (strncmp(api, KS_API_GROUP, strlen(KS_API_GROUP)) != 0)
		return fail_at(p, map_get(p->doc, root, "apiVersion"),
		    "apiVersion is '%s', expected %s", api, KS_API_VERSION);
	meta = map_get(p->doc, root, "metadata");
	if (meta == NULL)
		return fail_at(p, root, "missing field 'metadata'");
	if (meta->type != YAML_MAPPING_NODE)
		return fail_at(p, meta, "metadata must be a mapping");
	if ((rc = get_str(p, meta, "name", true, "metadata", &source)) < 0)
		return rc;
	spec = map_get(p->doc, root, "spec");
	if (spec == NULL)
		return fail_at(p, root, "missing field 'spec'");
	if (spec->type != YAML_SEQUENCE_NODE)
		return fail_at(p, spec, "spec must be a list of {ipBlock, "
		    "name, server}");
	for (it = spec->data.sequence.items.start;
	    it < spec->data.sequence.items.top; it++) {
		item = yaml_document_get_node(p->doc, *it);
		if (item == NULL)
			continue;
		if ((rc = parse_entry(p, into, source, item)) < 0)
			return rc;
	}
	return 0;
}

static void
copy_all(struct ks_set *dst, const struct ks_set *src, int *rc)
{
	const struct ks_entry *e;
	size_t i;

	for (i = 0; i < ks_count(src) && *rc == 0; i++) {
		e = ks_get(src, i);
		*rc = ks_add(dst, e->source, &e->cidr, e->server, e->name);
	}
}

int
ks_parse_buf(struct ks_set *ks, const char *buf, size_t len,
    const char *fname, char *err, size_t errlen)
{
	struct ksparse p = { .fname = fname, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct ks_set *tmp;
	int rc = 0;

	if (errlen > 0)
		err[0] = '\0';
	/* Parse into a scratch set so that an error adds nothing. */
	if ((tmp = ks_set_new()) == NULL)
		return -ENOMEM;
	if (!yaml_parser_initialize(&parser)) {
		ks_set_free(tmp);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		if (!yaml_parser_load(&parser, &doc)) {
			snprintf(err, errlen, "%s:%zu:%zu: not YAML: %s%s%s",
			    fname, parser.problem_mark.line + 1,
			    parser.problem_mark.column + 1,
			    parser.problem ? parser.problem : "parse error",
			    parser.context ? " " : "",
			    parser.context ? parser.context : "");
			rc = -EINVAL;
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (root == NULL) {	/* end of the stream */
			yaml_document_delete(&doc);
			break;
		}
		p.doc = &doc;
		if (!is_empty_doc(root))
			rc = parse_doc(&p, tmp, root);
		yaml_document_delete(&doc);
		if (rc < 0)
			break;
	}
	yaml_parser_delete(&parser);
	if (rc == 0)
		copy_all(ks, tmp, &rc);
	ks_set_free(tmp);
	return rc;
}

int
ks_load_file(struct ks_set *ks, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	char *buf = NULL;
	size_t off = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size > KS_MAX_FILE) {
		rc = S_ISREG(sb.st_mode) ? -EFBIG : -EINVAL;
		snprintf(err, errlen, "%s: not a regular file of at most "
		    "64 MB", path);
		goto out;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (off < (size_t)sb.st_size) {
		n = read(fd, buf + off, (size_t)sb.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: read: %s", path,
			    strerror(-rc));
			goto out;
		}
		off += (size_t)n;
	}
	buf[off] = '\0';
	rc = ks_parse_buf(ks, buf, off, path, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}
