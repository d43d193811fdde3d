/* A metadata List (JSON or YAML) into the cache, then every pod through
 * the owner chain: the file loader and the owner rules. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "recorderd/meta/kmeta.h"
#include "recorderd/meta/kmeta_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
each_pod(const struct kmeta_pod *p, void *arg)
{
	struct store_workload w;

	if (kmeta_pod_workload(arg, p, &w) == 0) {
		free(w.selector_json);
		free(w.labels_json);
		free(w.ports_json);
	}
	(void)kmeta_pod_by_ip(arg, &p->ips[0]);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmeta *km;
	char err[256];

	if (kmeta_new(&km) != 0)
		return 0;
	if (kmeta_load_list(km, (const char *)data, size, err,
	    sizeof(err)) == 0) {
		kmeta_pod_foreach(km, each_pod, km);
		/* A relist that keeps nothing must empty the cache cleanly. */
		kmeta_sync_begin(km, KMETA_POD);
		kmeta_sync_end(km, KMETA_POD);
	}
	kmeta_free(km);
	return 0;
}
