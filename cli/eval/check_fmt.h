/*
 * check_fmt: what check found, for people (text) and machines (JSON):
 * workloads, ports, peers, denials and notes.
 */
#ifndef NPR_CLI_EVAL_CHECK_FMT_H
#define NPR_CLI_EVAL_CHECK_FMT_H

#include <stddef.h>

#include <json-c/json.h>

#include "cli/eval/check.h"

/* "ns/Kind/name" into buf. Returns buf. */
char *check_fmt_workload(const struct index_workload *wl, char *buf,
    size_t len);

/* "TCP/8080", "UDP/53", "ICMP" into buf. Returns buf. */
char *check_fmt_port(int protocol, unsigned port, char *buf, size_t len);

/* A peer for people: "ns/Kind/name", "203.0.113.5 (api.example.com)",
 * "node 198.18.0.1", "unknown". Returns buf. */
char *check_fmt_peer(const struct check_peer *p, const char *dns_name,
    char *buf, size_t len);

/*
 * JSON for machines (the schema is in cli/REPORT.md). A peer:
 *   {"type":"workload","namespace","kind","name","id"} |
 *   {"type":"address"|"node","address"} | {"type":"unknown"}
 * A denial: {"workload","namespace","kind","name","direction","peer",
 *   "protocol","port","verdict","count","firstSeen","lastSeen",
 *   "dnsName","policies":["ns/name"...],"notes":[...]}
 * New objects (caller owns); NULL when out of memory.
 */
json_object *check_fmt_peer_json(const struct check_peer *p);
json_object *check_fmt_denial_json(const struct npeval_set *set,
    const struct check_denial *d);
/* The texts of the note bits set in notes, as a JSON array. */
json_object *check_fmt_notes_json(unsigned notes);

#endif
