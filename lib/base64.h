/*
 * base64: standard base64 (RFC 4648, with padding), as Kubernetes
 * writes []byte fields in JSON (kubeconfig *-data, ExecCredential's
 * cluster information).
 */
#ifndef NPR_BASE64_H
#define NPR_BASE64_H

#include <stddef.h>

/* Decode in (whitespace and padding ignored) into a new NUL-terminated
 * buffer *out (the caller frees it). 0, -EINVAL (not base64), -ENOMEM. */
int base64_decode(const char *in, char **out);

/* Encode len bytes of in into a new NUL-terminated string *out. 0 or
 * -ENOMEM. */
int base64_encode(const void *in, size_t len, char **out);

#endif
