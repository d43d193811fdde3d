/*
 * yamlout: what it writes reads back as the same tree, with strings that
 * look like other types quoted, and the layout kubectl users expect.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "cli/gen/yamlout.h"
#include "lib/yamljson.h"

/* Strings a YAML reader would take for something else when plain. */
static const char *const tricky[] = {
	"", "true", "false", "yes", "no", "on", "off", "y", "n", "Y", "NO",
	"null", "Null", "~", "8080", "-1", "+1", "0x1f", "0o17", "017",
	"1e3", "1.5", ".5", "1_000", "12:30:00", "2026-11-22",
	"2026-11-22T10:00:00Z", ".inf", "-.inf", ".nan", "198.51.100.23",
	"2001:db8::1", "1:2:3:4:5:6:7:8", "- dash", ": colon", "#hash",
	"a: b", "multi\nline", "tab\there", "quote\"s", "'single'", "@at",
	"`tick", "%pct", "!bang", "&amp", "*star", "[x]", "{y}", "a,b",
	"ünïcødé", "trailing ", " leading", "?", "|", ">", "<<", "=",
};

static void
test_tricky_strings_round_trip(void **state)
{
	json_object *doc = json_object_new_object(), *arr, *back;
	char *buf, err[256], key[32];
	size_t len, i;

	(void)state;
	arr = json_object_new_array();
	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		json_object_array_add(arr, json_object_new_string(tricky[i]));
		snprintf(key, sizeof(key), "%s", tricky[i]);
		/* Tricky keys too. */
		json_object_object_add(doc, key[0] ? key : "empty",
		    json_object_new_string(tricky[i]));
	}
	json_object_object_add(doc, "list", arr);
	json_object_object_add(doc, "int", json_object_new_int(8080));
	json_object_object_add(doc, "neg", json_object_new_int64(-5));
	json_object_object_add(doc, "bool", json_object_new_boolean(1));
	json_object_object_add(doc, "null", NULL);
	json_object_object_add(doc, "emptyobj", json_object_new_object());
	json_object_object_add(doc, "emptyarr", json_object_new_array());
	assert_int_equal(yamlout_to_buf(&doc, 1, &buf, &len), 0);
	assert_int_equal(strlen(buf), len);
	assert_int_equal(yamljson_parse(buf, len, &back, err, sizeof(err)), 0);
	assert_int_equal(json_object_array_length(back), 1);
	if (!json_object_equal(doc, json_object_array_get_idx(back, 0)))
		fail_msg("round trip differs:\n%s", buf);
	/* The quoting itself, for the cases YAML 1.1 readers (go-yaml v2,
	 * what kubectl uses) would misread. */
	assert_non_null(strstr(buf, "- \"yes\"\n"));
	assert_non_null(strstr(buf, "- \"8080\"\n"));
	assert_non_null(strstr(buf, "- \"12:30:00\"\n"));
	assert_non_null(strstr(buf, "- \"2026-11-22\"\n"));
	assert_non_null(strstr(buf, "- \"017\"\n"));
	assert_non_null(strstr(buf, "int: 8080\n"));
	assert_non_null(strstr(buf, "bool: true\n"));
	assert_non_null(strstr(buf, "\"null\": null\n"));
	assert_non_null(strstr(buf, "emptyobj: {}\n"));
	assert_non_null(strstr(buf, "emptyarr: []\n"));
	/* Ordinary strings stay plain. */
	assert_non_null(strstr(buf, "- 2001:db8::1\n"));
	assert_non_null(strstr(buf, "- \"1:2:3:4:5:6:7:8\"\n"));
	free(buf);
	json_object_put(back);
	json_object_put(doc);
}

static void
test_layout_and_documents(void **state)
{
	json_object *docs[2];
	char *buf, err[256];
	size_t len;
	json_object *back;

	(void)state;
	docs[0] = json_tokener_parse("{\"apiVersion\":\"networking.k8s.io/v1\","
	    "\"kind\":\"NetworkPolicy\",\"spec\":{\"podSelector\":"
	    "{\"matchLabels\":{\"app\":\"web\"}},\"policyTypes\":[\"Ingress\"],"
	    "\"ingress\":[{\"from\":[{\"podSelector\":{}}],\"ports\":"
	    "[{\"port\":80,\"protocol\":\"TCP\"}]}]}}");
	docs[1] = json_tokener_parse("{\"kind\":\"Second\"}");
	assert_non_null(docs[0]);
	assert_int_equal(yamlout_to_buf(docs, 2, &buf, &len), 0);
	assert_string_equal(buf,
	    "---\n"
	    "apiVersion: networking.k8s.io/v1\n"
	    "kind: NetworkPolicy\n"
	    "spec:\n"
	    "  podSelector:\n"
	    "    matchLabels:\n"
	    "      app: web\n"
	    "  policyTypes:\n"
	    "  - Ingress\n"
	    "  ingress:\n"
	    "  - from:\n"
	    "    - podSelector: {}\n"
	    "    ports:\n"
	    "    - port: 80\n"
	    "      protocol: TCP\n"
	    "---\n"
	    "kind: Second\n");
	assert_int_equal(yamljson_parse(buf, len, &back, err, sizeof(err)), 0);
	assert_int_equal(json_object_array_length(back), 2);
	json_object_put(back);
	free(buf);
	/* No documents: nothing at all. */
	assert_int_equal(yamlout_to_buf(docs, 0, &buf, &len), 0);
	assert_int_equal(len, 0);
	free(buf);
	json_object_put(docs[0]);
	json_object_put(docs[1]);
}

static void
test_long_strings_not_folded(void **state)
{
	json_object *doc = json_object_new_object(), *back;
	char s[600], *buf, err[128];
	size_t len;

	(void)state;
	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	memcpy(s + 100, " and a: colon ", 14);
	json_object_object_add(doc, "k", json_object_new_string(s));
	assert_int_equal(yamlout_to_buf(&doc, 1, &buf, &len), 0);
	/* One line for the value: annotations stay greppable. */
	assert_int_equal(strchr(strchr(buf, 'k'), '\n') - buf, (long)len - 1);
	assert_int_equal(yamljson_parse(buf, len, &back, err, sizeof(err)), 0);
	assert_true(json_object_equal(doc, json_object_array_get_idx(back, 0)));
	json_object_put(back);
	json_object_put(doc);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tricky_strings_round_trip),
		cmocka_unit_test(test_layout_and_documents),
		cmocka_unit_test(test_long_strings_not_folded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
