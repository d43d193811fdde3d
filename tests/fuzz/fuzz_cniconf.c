/*
 * The plugin's untrusted input: the JSON config on stdin (with its
 * prevResult) and CNI_ARGS. The first line of the input, when it starts
 * with "ARGS=", is used as CNI_ARGS; the rest is stdin.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cni/cniconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_conf conf;
	struct cni_err err;
	struct cni_args args;
	struct cni_prev prev;
	char line[1024];
	const char *buf = (const char *)data;
	const char *nl;

	if (size > 5 && memcmp(buf, "ARGS=", 5) == 0 &&
	    (nl = memchr(buf, '\n', size)) != NULL &&
	    (size_t)(nl - buf) - 5 < sizeof(line)) {
		memcpy(line, buf + 5, (size_t)(nl - buf) - 5);
		line[nl - buf - 5] = '\0';
		cni_args_parse(line, &args);
		size -= (size_t)(nl - buf) + 1;
		buf = nl + 1;
	}
	memset(&err, 0, sizeof(err));
	if (cni_conf_parse(buf, size, &conf, &err) == 0) {
		if (conf.prev != NULL)
			cni_prev_parse(conf.prev, &prev, &err);
		cni_conf_free(&conf);
	}
	return 0;
}
