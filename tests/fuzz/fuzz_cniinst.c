/*
 * The installer's JSON core on arbitrary input, with its promises checked
 * (abort() when one breaks): whatever add_entry accepts, its output
 * chains our entry, a second add changes nothing, and removing the entry
 * gives back the same network as the input without our entries.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni/install/install.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cniinst_opts o = {
		.db = "/var/lib/netpol-record/records.db",
		.nflog_group = "7301",
	};
	const char *in = (const char *)data;
	char *out = NULL, *again = NULL, *base = NULL, *back = NULL;
	char err[256];
	const char *b;
	size_t blen;
	int r;

	r = cniinst_add_entry(in, size, &o, &out, NULL, err, sizeof(err));
	(void)cniinst_has_entry(in, size);
	if (r != 0)
		goto out;
	if (cniinst_has_entry(out, strlen(out)) != 1)
		abort();
	if (cniinst_add_entry(out, strlen(out), &o, &again, NULL, err,
	    sizeof(err)) != CNIINST_UNCHANGED)
		abort();
	r = cniinst_remove_entry(in, size, &base, err, sizeof(err));
	if (r < 0)
		abort();
	b = r == 0 ? base : in;
	blen = r == 0 ? strlen(base) : size;
	if (cniinst_remove_entry(out, strlen(out), &back, err,
	    sizeof(err)) != 0)
		abort();
	if (!cniinst_same_config(back, strlen(back), b, blen))
		abort();
out:
	free(out);
	free(again);
	free(base);
	free(back);
	return 0;
}
