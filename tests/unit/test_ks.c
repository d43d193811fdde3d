/*
 * KnownServer files: parsing, errors with file:line:column, all or
 * nothing, longest-prefix matching, and the known-servers command.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "cli/cmd/cmds.h"
#include "cli/source/knownservers.h"
#include "lib/store.h"
#include "tests/unit/ut_run.h"
#include "tests/unit/ut_store.h"

#define HDR "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\n" \
	"kind: KnownServer\n"

static const char good[] =
    HDR
    "metadata:\n"
    "  name: payments\n"
    "spec:\n"
    "- ipBlock: 198.51.100.10/24\n"
    "  name: card-gateway\n"
    "  server: pay.example.com\n"
    "- ipBlock: 2001:db8:40::1/48\n"
    "  name: card-gateway-v6\n"
    "  server: pay.example.com\n"
    "---\n"
    HDR
    "metadata: {name: wide}\n"
    "spec:\n"
    "- {ipBlock: 198.51.0.0/16, name: wide}\n"
    "- {ipBlock: 198.51.100.0/24, name: same-prefix, server: b.example}\n"
    "---\n";

static int
parse(struct ks_set *ks, const char *text, char *err, size_t errlen)
{
	return ks_parse_buf(ks, text, strlen(text), "ks.yaml", err, errlen);
}

static void
test_parse_good(void **state)
{
	struct ks_set *ks = ks_set_new();
	char err[256], c[ADDR_CIDR_STRLEN];
	const struct ks_entry *e;

	(void)state;
	assert_int_equal(parse(ks, good, err, sizeof(err)), 0);
	assert_int_equal(ks_count(ks), 4);
	assert_int_equal(ks_nsources(ks), 2);
	assert_string_equal(ks_source(ks, 0), "payments");
	assert_string_equal(ks_source(ks, 1), "wide");
	/* Sorted by network: the /16, then the two /24s, then IPv6; a host
	 * address in the CIDR meant its network. */
	e = ks_get(ks, 0);
	assert_string_equal(addr_cidr_format(&e->cidr, c, sizeof(c)),
	    "198.51.0.0/16");
	assert_string_equal(e->server, "");
	e = ks_get(ks, 1);
	assert_string_equal(addr_cidr_format(&e->cidr, c, sizeof(c)),
	    "198.51.100.0/24");
	assert_string_equal(e->source, "payments");
	e = ks_get(ks, 3);
	assert_string_equal(addr_cidr_format(&e->cidr, c, sizeof(c)),
	    "2001:db8:40::/48");
	assert_string_equal(e->name, "card-gateway-v6");
	ks_set_free(ks);
}

static void
test_longest_prefix(void **state)
{
	struct ks_set *ks = ks_set_new();
	struct addr a;
	char err[256];
	const struct ks_entry *e;

	(void)state;
	assert_int_equal(parse(ks, good, err, sizeof(err)), 0);
	assert_int_equal(addr_parse("198.51.100.23", &a), 0);
	e = ks_match(ks, &a);
	assert_non_null(e);
	/* Two /24s: the first in (cidr, source, ...) order wins, whatever
	 * the order of the files. */
	assert_string_equal(e->name, "card-gateway");
	assert_int_equal(addr_parse("198.51.7.1", &a), 0);
	assert_string_equal(ks_match(ks, &a)->name, "wide");
	assert_int_equal(addr_parse("2001:db8:40:ffff::1", &a), 0);
	assert_string_equal(ks_match(ks, &a)->name, "card-gateway-v6");
	assert_int_equal(addr_parse("2001:db8:41::1", &a), 0);
	assert_null(ks_match(ks, &a));
	assert_int_equal(addr_parse("203.0.113.1", &a), 0);
	assert_null(ks_match(ks, &a));
	ks_set_free(ks);
}

/* The rule, spelt out: longest prefix, then first in set order. */
static const struct ks_entry *
ref_match(const struct ks_set *ks, const struct addr *a)
{
	const struct ks_entry *best = NULL, *e;
	size_t i;

	for (i = 0; i < ks_count(ks); i++) {
		e = ks_get(ks, i);
		if (addr_cidr_contains(&e->cidr, a) &&
		    (best == NULL || e->cidr.prefix > best->cidr.prefix))
			best = e;
	}
	return best;
}

/* The indexed lookup agrees with the rule on many overlapping entries,
 * also after entries are added between lookups. */
static void
test_match_random(void **state)
{
	struct ks_set *ks = ks_set_new();
	struct addr_cidr c;
	struct addr a;
	char name[16];
	unsigned seed = 12345;
	int i, j, round, hits = 0;

	(void)state;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 300; i++) {
			memset(&c, 0, sizeof(c));
			seed = seed * 1103515245 + 12345;
			c.addr.family = (seed >> 8) & 1 ? AF_INET6 : AF_INET;
			c.addr.bytes[0] = c.addr.family == AF_INET ? 198 : 0x20;
			c.addr.bytes[1] = c.addr.family == AF_INET ? 51 : 0x01;
			c.addr.bytes[2] = (uint8_t)((seed >> 12) & 3);
			c.addr.bytes[3] = (uint8_t)((seed >> 16) & 7);
			c.prefix = (uint8_t)(c.addr.family == AF_INET ?
			    16 + (seed >> 20) % 17 : 16 + (seed >> 20) % 113);
			/* Canonical network, as the parser makes it. */
			{
				char t[64];

				addr_format(&c.addr, t, sizeof(t));
				snprintf(t + strlen(t), sizeof(t) - strlen(t),
				    "/%u", c.prefix);
				assert_int_equal(addr_cidr_parse(t, &c), 0);
			}
			snprintf(name, sizeof(name), "e%d", i % 7);
			assert_int_equal(ks_add(ks, name, &c, "s", name), 0);
		}
		for (j = 0; j < 3000; j++) {
			memset(&a, 0, sizeof(a));
			seed = seed * 1103515245 + 12345;
			a.family = (seed >> 8) & 1 ? AF_INET6 : AF_INET;
			a.bytes[0] = a.family == AF_INET ? 198 : 0x20;
			a.bytes[1] = (uint8_t)((a.family == AF_INET ? 51 : 0x01) +
			    ((seed >> 28) & 1));
			a.bytes[2] = (uint8_t)((seed >> 12) & 3);
			a.bytes[3] = (uint8_t)((seed >> 16) & 7);
			a.bytes[4] = (uint8_t)(seed >> 24);
			assert_ptr_equal(ks_match(ks, &a), ref_match(ks, &a));
			hits += ks_match(ks, &a) != NULL;
		}
	}
	/* Both outcomes were exercised. */
	if (hits < 1000 || hits > 8000)
		fail_msg("hits %d", hits);
	ks_set_free(ks);
}

struct bad {
	const char *text;
	const char *err;	/* expected message start */
};

static void
test_errors_name_the_place(void **state)
{
	static const struct bad cases[] = {
		{ HDR "metadata: {name: x}\nspec: [\n", "ks.yaml:5:1: " },
		{ HDR "metadata:\n  name: x\n\tspec: []\n", "ks.yaml:5:1: " },
		{ "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
		  "ks.yaml: document 1: kind is 'ConfigMap', expected "
		  "KnownServer" },
		{ "apiVersion: v1\nkind: KnownServer\nmetadata: {name: x}\n"
		  "spec: []\n",
		  "ks.yaml: document 1: apiVersion is 'v1', expected "
		  "spdx.softwarecomposition.kubescape.io/v1beta1" },
		{ HDR "metadata: {name: x}\nspec:\n- ipBlock: 198.51.100.300/24\n"
		  "  name: n\n",
		  "ks.yaml: document 1 (KnownServer x): spec[0].ipBlock: "
		  "'198.51.100.300/24' is not a CIDR" },
		{ HDR "metadata: {name: x}\nspec:\n- ipBlock: 198.51.100.1\n",
		  "ks.yaml: document 1 (KnownServer x): spec[0].ipBlock: "
		  "'198.51.100.1' is not a CIDR" },
		{ HDR "metadata: {name: x}\nspec:\n- ipBlock: 2001:db8::/129\n",
		  "ks.yaml: document 1 (KnownServer x): spec[0].ipBlock: "
		  "'2001:db8::/129' is not a CIDR" },
		{ HDR "metadata: {name: x}\nspec:\n- name: nameless\n",
		  "ks.yaml: document 1 (KnownServer x): missing field "
		  "'spec[0].ipBlock'" },
		{ HDR "metadata: {}\nspec: []\n",
		  "ks.yaml: document 1: missing field 'metadata.name'" },
		{ HDR "metadata: {name: x}\n",
		  "ks.yaml: document 1 (KnownServer x): missing field 'spec'" },
		{ HDR "metadata: {name: x}\nspec: {ipBlock: 1.2.3.0/24}\n",
		  "ks.yaml: document 1 (KnownServer x): spec must be a list" },
		{ HDR "metadata: {name: x}\nspec:\n- ipBlock: [1]\n",
		  "ks.yaml: document 1 (KnownServer x): spec[0].ipBlock "
		  "must be a string" },
		{ "- just\n- a list\n", "ks.yaml: document 1: a KnownServer document "
		  "must be a mapping" },
	};
	struct ks_set *ks;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ks = ks_set_new();
		assert_int_equal(parse(ks, cases[i].text, err, sizeof(err)),
		    -EINVAL);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("case %zu: got '%s', want '%s...'", i, err,
			    cases[i].err);
		assert_int_equal(ks_count(ks), 0);
		ks_set_free(ks);
	}
}

/*
 * 100,000 levels of nesting in a KnownServer file, YAML (block and flow)
 * and JSON: refused where the 257th level starts, by the one reader every
 * YAML input goes through, with the one limit (the reader of its own this
 * replaced took 24-56 s on such a file).
 */
static void
test_deep_nesting(void **state)
{
	static const struct {
		const char *head, *tail, *where;
	} fmt[] = {
	    { HDR "metadata: {name: deep}\nspec: ", "\n", "ks.yaml:4:" },
	    { HDR "metadata: {name: deep}\nspec:\n", "\n", "ks.yaml:5:" },
	    { "{\"apiVersion\": \"v1\", \"spec\": ", "}", "ks.yaml:1:" },
	};
	size_t n = 100000;
	char *text = malloc(4 * n + 512), *p;
	char err[256];
	struct ks_set *ks;

	(void)state;
	for (size_t f = 0; f < 3; f++) {
		p = text + sprintf(text, "%s", fmt[f].head);
		for (size_t i = 0; i < n; i++)
			p += sprintf(p, f == 1 ? "- " : "[");
		p += sprintf(p, "x");
		if (f != 1)
			for (size_t i = 0; i < n; i++)
				*p++ = ']';
		strcpy(p, fmt[f].tail);
		ks = ks_set_new();
		assert_int_equal(parse(ks, text, err, sizeof(err)), -EINVAL);
		if (strncmp(err, fmt[f].where, strlen(fmt[f].where)) != 0 ||
		    strstr(err, "nested more than 256 levels deep") == NULL)
			fail_msg("format %zu: %s", f, err);
		ks_set_free(ks);
	}
	free(text);
}

static void
test_all_or_nothing(void **state)
{
	struct ks_set *ks = ks_set_new();
	char err[256], text[2048];

	(void)state;
	/* A good document followed by a bad one adds nothing. */
	snprintf(text, sizeof(text), "%s" HDR "metadata: {name: y}\nspec:\n"
	    "- ipBlock: nonsense\n", good);
	assert_int_equal(parse(ks, text, err, sizeof(err)), -EINVAL);
	if (strstr(err, "ks.yaml: document 3 (KnownServer y): spec[0]."
	    "ipBlock: 'nonsense' is not a CIDR") == NULL)
		fail_msg("%s", err);
	assert_int_equal(ks_count(ks), 0);
	/* And a set with entries keeps exactly those. */
	assert_int_equal(parse(ks, good, err, sizeof(err)), 0);
	assert_int_equal(parse(ks, text, err, sizeof(err)), -EINVAL);
	assert_int_equal(ks_count(ks), 4);
	ks_set_free(ks);
}

/* ---- the command -------------------------------------------------------- */

struct fx {
	char dir[64], db[128], f1[128], f2[128];
	struct ut_out o;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	assert_int_equal(ut_store_mkdtemp(fx->dir, sizeof(fx->dir),
	    "test_ks"), 0);
	snprintf(fx->db, sizeof(fx->db), "%s/r.db", fx->dir);
	snprintf(fx->f1, sizeof(fx->f1), "%s/good.yaml", fx->dir);
	snprintf(fx->f2, sizeof(fx->f2), "%s/bad.yaml", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	ut_out_free(&fx->o);
	if (ut_store_rmtree(fx->dir) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
put(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

/* known-servers A1 [A2 [A3]] --db DB, its output in fx->o. */
static int
run(struct fx *fx, const char *a1, const char *a2, const char *a3)
{
	const char *argv[8];
	int argc = 0;

	argv[argc++] = "known-servers";
	argv[argc++] = a1;
	if (a2)
		argv[argc++] = a2;
	if (a3)
		argv[argc++] = a3;
	argv[argc++] = "--db";
	argv[argc++] = fx->db;
	argv[argc] = NULL;
	ut_out_free(&fx->o);
	fx->o = ut_run(fx->dir, cmd_known_servers,
	    (char *const *)(uintptr_t)argv);
	return fx->o.rc;
}

static void
test_command(void **state)
{
	struct fx *fx = *state;
	char *s;

	put(fx->f1, good);
	put(fx->f2, HDR "metadata: {name: other}\nspec:\n- ipBlock: x/8\n");
	/* One bad file: nothing at all is imported, the error names it. */
	assert_int_equal(run(fx, "import", fx->f1, fx->f2), 1);
	s = fx->o.err;
	assert_non_null(strstr(s, "bad.yaml: document 1 (KnownServer other): "
	    "spec[0].ipBlock: 'x/8'"));
	assert_non_null(strstr(s, "nothing imported"));
	assert_int_equal(run(fx, "import", fx->f1, NULL), 0);
	assert_non_null(strstr(fx->o.out, "imported 4 entries from 2 "
	    "KnownServers"));
	assert_int_equal(run(fx, "list", NULL, NULL), 0);
	s = fx->o.out;
	assert_non_null(strstr(s, "payments"));
	assert_non_null(strstr(s, "2001:db8:40::/48"));
	assert_null(strstr(s, "other"));
	/* Re-importing replaces a source's entries, it does not add. */
	assert_int_equal(run(fx, "import", fx->f1, NULL), 0);
	assert_int_equal(run(fx, "list", "-o", "yaml"), 0);
	s = fx->o.out;
	put(fx->f2, s);
	assert_non_null(strstr(s, "kind: KnownServer"));
	assert_int_equal(run(fx, "delete", "wide", NULL), 0);
	assert_int_equal(run(fx, "delete", "wide", NULL), 1);
	assert_non_null(strstr(fx->o.err, "no KnownServer named 'wide'"));
	assert_int_equal(run(fx, "list", NULL, NULL), 0);
	s = fx->o.out;
	assert_null(strstr(s, "198.51.0.0/16"));
	assert_non_null(strstr(s, "198.51.100.0/24"));
	/* What list -o yaml printed imports back. */
	assert_int_equal(run(fx, "import", fx->f2, NULL), 0);
	assert_non_null(strstr(fx->o.out, "imported 4 entries"));
	assert_int_equal(run(fx, "frobnicate", NULL, NULL), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_longest_prefix),
		cmocka_unit_test(test_match_random),
		cmocka_unit_test(test_errors_name_the_place),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test_setup_teardown(test_command, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
