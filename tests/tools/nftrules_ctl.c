/*
 * nftrules_ctl exists|ensure|destroy|list|check: the nft/nftrules.h calls
 * netpol-recorderd makes (on start, for --repair), one per run, so that
 * integration tests can drive them. list prints "<set key> <owner>" lines.
 */
#include <stdio.h>
#include <string.h>

#include "nft/nftrules.h"

static int
print_cb(const struct nftrules_elem *el, void *arg)
{
	char buf[ADDR_STRLEN];

	(void)arg;
	printf("%s %s\n", el->key.kind == NFTRULES_KEY_IFNAME ? el->key.ifname :
	    addr_format(&el->key.addr, buf, sizeof(buf)),
	    el->owner[0] ? el->owner : "-");
	return 0;
}

int
main(int argc, char **argv)
{
	struct nftrules_conf c;
	struct nftrules *nr;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: nftrules_ctl exists|ensure|destroy|"
		    "list|check\n");
		return 2;
	}
	nftrules_conf_init(&c);
	if ((ret = nftrules_open(&nr)) != 0) {
		fprintf(stderr, "open: %s\n", strerror(-ret));
		return 1;
	}
	if (strcmp(argv[1], "exists") == 0) {
		ret = nftrules_table_exists(nr);
		if (ret >= 0)
			printf("%d\n", ret);
		ret = ret < 0 ? ret : 0;
	} else if (strcmp(argv[1], "ensure") == 0)
		ret = nftrules_ensure_table(nr, &c);
	else if (strcmp(argv[1], "destroy") == 0)
		ret = nftrules_destroy_table(nr);
	else if (strcmp(argv[1], "list") == 0)
		ret = nftrules_list(nr, print_cb, NULL);
	else if (strcmp(argv[1], "check") == 0)
		ret = nftrules_check_rules(nr);
	else
		ret = -22;
	nftrules_close(nr);
	if (ret != 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	return 0;
}
