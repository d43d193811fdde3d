/*
 * policygen_util: the small helpers shared by the policygen_*.c files
 * (see policygen_util.h).
 */
#include "cli/gen/policygen_util.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/store.h"

void
policygen_sort(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/*
 * Every key policygen adds is a string literal, added once per object:
 * json-c may then keep the pointer and skip its lookup for an existing
 * key, one allocation and one search less per member.
 */
void
policygen_obj_add(json_object *o, const char *key, json_object *val)
{
	json_object_object_add_ex(o, key, val, JSON_C_OBJECT_ADD_KEY_IS_NEW |
	    JSON_C_OBJECT_KEY_IS_CONSTANT);
}

void
policygen_add_str(json_object *o, const char *key, const char *val)
{
	policygen_obj_add(o, key, json_object_new_string(val));
}

const char *
policygen_proto_name(int proto)
{
	const char *n = flow_protocol_name(proto);

	return n ? n : "unknown";
}

bool
policygen_is_icmp(int proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

bool
policygen_port_proto(int proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_SCTP;
}

void
policygen_lower_copy(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

bool
policygen_selector_empty(json_object *sel)
{
	json_object *v;

	if (json_object_object_get_ex(sel, "matchExpressions", &v) &&
	    json_object_array_length(v) > 0)
		return false;
	return !json_object_object_get_ex(sel, "matchLabels", &v) ||
	    json_object_object_length(v) == 0;
}

/* ---- note lists --------------------------------------------------------- */

int
policygen_list_add(struct policygen_list *l, const char *fmt, ...)
{
	va_list ap;
	char **n, *s;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	if ((n = realloc(l->v, (l->n + 1) * sizeof(*n))) == NULL) {
		free(s);
		return -ENOMEM;
	}
	l->v = n;
	l->v[l->n++] = s;
	return 0;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
policygen_list_finish(struct policygen_list *l)
{
	size_t i, out = 0;

	if (l->n == 0)
		return;
	policygen_sort(l->v, l->n, sizeof(*l->v), strp_cmp);
	for (i = 0; i < l->n; i++) {
		if (out > 0 && strcmp(l->v[out - 1], l->v[i]) == 0) {
			free(l->v[i]);
			continue;
		}
		l->v[out++] = l->v[i];
	}
	l->n = out;
}

void
policygen_list_clear(struct policygen_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

json_object *
policygen_list_json(const struct policygen_list *l)
{
	json_object *o;
	size_t i, len = 0;
	char *s;

	if (l->n == 0)
		return NULL;
	for (i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + 2;
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			strcat(s, "; ");
		strcat(s, l->v[i]);
	}
	o = json_object_new_string(s);
	free(s);
	return o;
}
