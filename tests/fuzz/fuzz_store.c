/*
 * A store file anyone may have written (--db names any file): what the
 * CLI and netpol-recorderd say about it (store_probe and the messages
 * built on it), and, when it opens, what status reads from it and the
 * snapshot of counted connections a restart reads back. Never a crash,
 * whatever the bytes (a store, a damaged one, no store at all).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/source/store_source.h"
#include "lib/status.h"
#include "lib/store.h"
#include "recorderd/batch.h"
#include "recorderd/connid.h"
#include "recorderd/rd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_store.XXXXXX", msg[1024];
	struct store *st = NULL;
	struct connid *c;
	FILE *null;
	void *buf;
	size_t len;
	int fd, rc;

	if ((fd = mkstemp(path)) < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	rc = store_open(path, STORE_OPEN_READONLY | STORE_OPEN_NOCREATE, &st);
	store_source_explain(path, rc, msg, sizeof(msg));
	rd_store_explain(path, rc, msg, sizeof(msg));
	if (rc == 0) {
		if ((null = fopen("/dev/null", "w")) != NULL) {
			(void)status_print(null, path, st);
			fclose(null);
		}
		if (store_meta_get_blob(st, BATCH_COUNTED_META, &buf,
		    &len) == 0) {
			if (connid_new(16, &c) == 0) {
				(void)connid_restore(c, buf, len);
				connid_free(c);
			}
			free(buf);
		}
		store_close(st);
	}
	unlink(path);
	return 0;
}
