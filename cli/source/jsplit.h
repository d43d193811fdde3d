/*
 * jsplit: the items of a Kubernetes list response, one at a time, without
 * building the whole list in memory. A page of 500 TrafficProfiles is a
 * few megabytes of JSON and tens of megabytes as a json-c tree; read item
 * by item, only one item's tree exists at a time, so that reading a
 * million entries stays within the memory of the index itself.
 *
 * jsplit scans the top-level object: each element of its "items" array
 * is parsed on its own (json-c) and handed to the callback, then freed;
 * "metadata" is parsed for its "continue" token; other members are
 * skipped. The scan checks only the structure (strings, escapes,
 * nesting, without recursion); an element that is not valid JSON reaches
 * the callback as NULL, for it to count and skip. Pure.
 */
#ifndef NPR_CLI_SOURCE_JSPLIT_H
#define NPR_CLI_SOURCE_JSPLIT_H

#include <stddef.h>

#include <json-c/json.h>

/* One element of "items", parsed (borrowed: freed after the call; NULL
 * when it is not JSON). A non-zero return stops the walk and is
 * returned. */
typedef int (*jsplit_item_cb)(json_object *item, void *arg);

/*
 * Walk the list response buf. cont gets metadata.continue ("" when none;
 * an overlong token is an error). Returns 0, the callback's non-zero
 * value, or -EINVAL with err when buf is not a JSON object, is cut short
 * or has no "items" array.
 */
int jsplit_list(const char *buf, size_t len, jsplit_item_cb cb, void *arg,
    char *cont, size_t contlen, char *err, size_t errlen);

#endif
