/* What an exec credential plugin prints (an ExecCredential), parsed. */
#include <stddef.h>
#include <stdint.h>

#include "lib/kapi_exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kapi_exec_cred c;
	char err[256];

	if (kapi_exec_parse((const char *)data, size,
	    "client.authentication.k8s.io/v1", &c, err, sizeof(err)) == 0)
		kapi_exec_cred_clear(&c);
	return 0;
}
