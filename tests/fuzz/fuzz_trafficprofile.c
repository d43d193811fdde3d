/*
 * The cluster source's readers: a list response from the API server (a
 * TrafficProfileList, bytes as they come off the wire) split item by item
 * (jsplit) and read into the index as cli/source/cluster_source.c reads
 * it (tpread), for every namespace and for one; its items also read as
 * RecorderStatus objects.
 */
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cli/source/index.h"
#include "cli/source/jsplit.h"
#include "cli/source/recstatus.h"
#include "cli/source/tpread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
load(const char *buf, size_t len, const char *ns)
{
	struct source_query q = { .namespace_ = ns, .direction = -1 };
	struct source *src;
	struct index *idx = NULL;
	char err[512];
	size_t i;

	if (tp_list_source_new(&buf, &len, 1, &src) < 0)
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

static int
status(json_object *item, void *arg)
{
	struct recstatus st;
	char err[256];

	(void)arg;
	(void)recstatus_parse(item, &st, err, sizeof(err));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char cont[4096], err[256];

	load((const char *)data, size, NULL);
	load((const char *)data, size, "shop");
	(void)jsplit_list((const char *)data, size, status, NULL, cont,
	    sizeof(cont), err, sizeof(err));
	return 0;
}
