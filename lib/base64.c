/*
 * base64: standard base64 both ways (see base64.h).
 */
#include "lib/base64.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "abcdefghijklmnopqrstuvwxyz0123456789+/";

int
base64_decode(const char *in, char **out)
{
	size_t n = strlen(in), o = 0;
	uint32_t acc = 0;
	int bits = 0;
	const char *p, *q;
	char *buf;

	if ((buf = malloc(n / 4 * 3 + 4)) == NULL)
		return -ENOMEM;
	for (p = in; *p != '\0'; p++) {
		if (*p == '=' || *p == ' ' || *p == '\n' || *p == '\r' ||
		    *p == '\t')
			continue;
		if ((q = strchr(tab, *p)) == NULL) {
			free(buf);
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)(q - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (char)(acc >> bits & 0xff);
		}
	}
	buf[o] = '\0';
	*out = buf;
	return 0;
}

int
base64_encode(const void *in, size_t len, char **out)
{
	const unsigned char *p = in;
	size_t i, o = 0;
	uint32_t v;
	char *buf;

	if ((buf = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return -ENOMEM;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		buf[o++] = tab[v >> 18 & 63];
		buf[o++] = tab[v >> 12 & 63];
		buf[o++] = tab[v >> 6 & 63];
		buf[o++] = tab[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
		buf[o++] = tab[v >> 18 & 63];
		buf[o++] = tab[v >> 12 & 63];
		buf[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		buf[o++] = '=';
	}
	buf[o] = '\0';
	*out = buf;
	return 0;
}
