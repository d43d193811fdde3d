/*
 * Log lines built from input (lib/log.c): whatever a message carries, one
 * call writes exactly one line, with no control character in it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_log.XXXXXX", *msg, line[1 << 17];
	size_t n = 0, lines = 0;
	FILE *f;
	int fd;

	if ((msg = malloc(size + 1)) == NULL)
		return 0;
	memcpy(msg, data, size);
	msg[size] = '\0';
	if ((fd = mkstemp(path)) < 0) {
		free(msg);
		return 0;
	}
	close(fd);
	log_init("fuzz", LOG_LVL_DEBUG);
	if (log_open_file(path) == 0) {
		log_warnx("input %s end", msg);
		log_close();
		if ((f = fopen(path, "r")) != NULL) {
			n = fread(line, 1, sizeof(line), f);
			fclose(f);
		}
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)line[i];

			if (c == '\n')
				lines++;
			else if (c < 0x20 || c == 0x7f)
				abort();
		}
		if (n > 0 && n < sizeof(line) && (lines != 1 ||
		    line[n - 1] != '\n'))
			abort();
	}
	unlink(path);
	free(msg);
	return 0;
}
