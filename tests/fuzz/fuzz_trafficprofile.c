/*
 * The cluster source's readers: a list response from the API server (a
 * TrafficProfileList, bytes as they come off the wire) read into the
 * index as cli/source/cluster_source.c reads it (tpread), for every
 * namespace and for one; its items also read as RecorderStatus objects.
 */
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cli/source/index.h"
#include "cli/source/recstatus.h"
#include "cli/source/tpread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
load(json_object *list, const char *ns)
{
	struct source_query q = { .namespace_ = ns, .direction = -1 };
	struct source *src;
	struct index *idx = NULL;
	char err[512];
	size_t i;

	if (tp_list_source_new(&list, 1, &src) < 0)
		return;
	if (index_load(&src, 1, &q, &idx, err, sizeof(err)) == 0) {
		/* Walk what was built. */
		for (i = 0; i < index_nflows(idx); i++)
			(void)index_peer(idx, index_flow(idx, i));
		for (i = 0; i < index_nnotes(idx); i++)
			(void)index_note(idx, i)->text;
	}
	index_free(idx);
	source_free(src);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_tokener *tok = json_tokener_new();
	json_object *list, *items;
	struct recstatus st;
	char err[256];
	size_t i;

	if (tok == NULL)
		return 0;
	list = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (list == NULL)
		return 0;
	load(list, NULL);
	load(list, "shop");
	if (json_object_object_get_ex(list, "items", &items) &&
	    json_object_is_type(items, json_type_array))
		for (i = 0; i < json_object_array_length(items); i++)
			(void)recstatus_parse(json_object_array_get_idx(items,
			    i), &st, err, sizeof(err));
	json_object_put(list);
	return 0;
}
