/*
 * test_npeval: the NetworkPolicy evaluator against a table of cases written
 * from the Kubernetes documentation's semantics
 * (concepts/services-networking/network-policies), classic mistakes
 * included.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "cli/eval/npeval.h"

struct ep_spec {
	int kind;
	const char *ns;
	const char *labels;	/* JSON object */
	const char *nslabels;	/* JSON object */
	const char *ports;	/* JSON array */
	const char *addr;
	bool hostnet;
};

#define POD(ns_, labels_) \
	{ .kind = NPEVAL_EP_POD, .ns = ns_, .labels = labels_ }
#define PODX(ns_, labels_, nsl_, ports_, addr_) \
	{ .kind = NPEVAL_EP_POD, .ns = ns_, .labels = labels_, \
	  .nslabels = nsl_, .ports = ports_, .addr = addr_ }
#define ADDR(a_) { .kind = NPEVAL_EP_ADDR, .addr = a_ }
#define NODE(a_) { .kind = NPEVAL_EP_NODE, .addr = a_ }
#define HOSTNET(ns_, labels_) \
	{ .kind = NPEVAL_EP_POD, .ns = ns_, .labels = labels_, .hostnet = true }

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define SCTP IPPROTO_SCTP
#define ICMP IPPROTO_ICMP

struct eval_case {
	const char *what;
	const char *policies;	/* JSON: a policy, a List or an array */
	struct ep_spec src, dst;
	int proto;
	unsigned port;
	int verdict;
	unsigned notes;		/* bits that must be set */
	int denied_side;	/* -1 any, NPEVAL_EGRESS or NPEVAL_INGRESS */
};

/* Policies used by several cases, in namespace shop. */
#define DENY_INGRESS \
	"{\"kind\":\"NetworkPolicy\",\"apiVersion\":\"networking.k8s.io/v1\"," \
	"\"metadata\":{\"name\":\"deny-in\",\"namespace\":\"shop\"}," \
	"\"spec\":{\"podSelector\":{},\"policyTypes\":[\"Ingress\"]}}"
#define DENY_EGRESS \
	"{\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":\"deny-out\"," \
	"\"namespace\":\"shop\"},\"spec\":{\"podSelector\":{}," \
	"\"policyTypes\":[\"Egress\"]}}"
#define NP(name, ns, spec) \
	"{\"kind\":\"NetworkPolicy\",\"apiVersion\":\"networking.k8s.io/v1\"," \
	"\"metadata\":{\"name\":\"" name "\",\"namespace\":\"" ns "\"}," \
	"\"spec\":" spec "}"
#define API "{\"app\":\"api\"}"
#define FRONT "{\"app\":\"frontend\"}"

/* The classic mistake: two peers (ORed) versus one peer (ANDed). */
#define OR_PEERS NP("or", "shop", "{\"podSelector\":{\"matchLabels\":" API \
	"},\"ingress\":[{\"from\":[{\"namespaceSelector\":{\"matchLabels\":" \
	"{\"team\":\"ops\"}}},{\"podSelector\":{\"matchLabels\":" \
	"{\"app\":\"monitor\"}}}]}]}")
#define AND_PEER NP("and", "shop", "{\"podSelector\":{\"matchLabels\":" API \
	"},\"ingress\":[{\"from\":[{\"namespaceSelector\":{\"matchLabels\":" \
	"{\"team\":\"ops\"}},\"podSelector\":{\"matchLabels\":" \
	"{\"app\":\"monitor\"}}}]}]}")
#define OPS_NSL "{\"team\":\"ops\"}"

#define ALLOW_FRONT_8080 NP("api-in", "shop", "{\"podSelector\":" \
	"{\"matchLabels\":" API "},\"ingress\":[{\"from\":[{\"podSelector\":" \
	"{\"matchLabels\":" FRONT "}}],\"ports\":[{\"port\":8080}]}]}")

#define EGRESS_TO(name, to, ports) NP(name, "shop", "{\"podSelector\":" \
	"{\"matchLabels\":" API "},\"policyTypes\":[\"Egress\"]," \
	"\"egress\":[{\"to\":" to ",\"ports\":" ports "}]}")

#define IPBLOCK_EXCEPT EGRESS_TO("ext", \
	"[{\"ipBlock\":{\"cidr\":\"203.0.113.0/24\",\"except\":" \
	"[\"203.0.113.128/25\"]}},{\"ipBlock\":{\"cidr\":" \
	"\"2001:db8:ff::/64\",\"except\":[\"2001:db8:ff::/120\"]}}]", "[]")

#define SEL_EXPR(expr) NP("expr", "shop", "{\"podSelector\":{\"matchLabels\":" \
	API "},\"ingress\":[{\"from\":[{\"podSelector\":{\"matchExpressions\":" \
	"[" expr "]}}]}]}")

#define NAMED_HTTP NP("named", "shop", "{\"podSelector\":{\"matchLabels\":" \
	API "},\"ingress\":[{\"ports\":[{\"port\":\"http\"}]}]}")
#define API_PORTS "[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}," \
	"{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]"

#define RANGE NP("range", "shop", "{\"podSelector\":{},\"ingress\":[{" \
	"\"ports\":[{\"port\":32000,\"endPort\":32768,\"protocol\":\"TCP\"}]}]}")
#define DNS_UDP EGRESS_TO("dns", "[]", "[{\"port\":53,\"protocol\":\"UDP\"}]")
#define DEFAULT_TCP EGRESS_TO("tcp", "[]", "[{\"port\":80}]")
#define ALL_UDP EGRESS_TO("udp", "[]", "[{\"protocol\":\"UDP\"}]")

static const struct eval_case cases[] = {
	{ "no policy: open both ways", "[]", POD("shop", FRONT),
	  POD("shop", API), TCP, 8080, NPEVAL_ALLOW, 0, -1 },
	{ "default deny ingress isolates every pod of the namespace",
	  DENY_INGRESS, POD("shop", FRONT), POD("shop", API), TCP, 8080,
	  NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "default deny ingress leaves egress open", DENY_INGRESS,
	  POD("shop", API), ADDR("203.0.113.5"), TCP, 443, NPEVAL_ALLOW, 0,
	  -1 },
	{ "default deny egress", DENY_EGRESS, POD("shop", API),
	  ADDR("203.0.113.5"), TCP, 443, NPEVAL_DENY, 0, NPEVAL_EGRESS },
	{ "default deny egress does not touch ingress from outside",
	  DENY_EGRESS, ADDR("203.0.113.5"), POD("shop", API), TCP, 443,
	  NPEVAL_ALLOW, 0, -1 },
	{ "no policyTypes: ingress only when there are no egress rules",
	  NP("p", "shop", "{\"podSelector\":{},\"ingress\":[{}]}"),
	  POD("shop", API), ADDR("203.0.113.5"), TCP, 443, NPEVAL_ALLOW, 0,
	  -1 },
	{ "no policyTypes: egress rules make it an egress policy",
	  NP("p", "shop", "{\"podSelector\":{},\"egress\":[{\"ports\":"
	  "[{\"port\":53,\"protocol\":\"UDP\"}]}]}"),
	  POD("shop", API), ADDR("203.0.113.5"), TCP, 443, NPEVAL_DENY, 0,
	  NPEVAL_EGRESS },
	{ "an empty rule allows everything", NP("p", "shop",
	  "{\"podSelector\":{},\"ingress\":[{}]}"), ADDR("203.0.113.5"),
	  POD("shop", API), UDP, 9999, NPEVAL_ALLOW, 0, -1 },

	{ "podSelector peer, port allowed", ALLOW_FRONT_8080,
	  POD("shop", FRONT), POD("shop", API), TCP, 8080, NPEVAL_ALLOW, 0,
	  -1 },
	{ "podSelector peer, other port", ALLOW_FRONT_8080,
	  POD("shop", FRONT), POD("shop", API), TCP, 8081, NPEVAL_DENY, 0,
	  NPEVAL_INGRESS },
	{ "podSelector peer, other pod", ALLOW_FRONT_8080,
	  POD("shop", "{\"app\":\"batch\"}"), POD("shop", API), TCP, 8080,
	  NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "podSelector alone means the policy's namespace only",
	  ALLOW_FRONT_8080, POD("other", FRONT), POD("shop", API), TCP, 8080,
	  NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "port rule with no protocol is TCP", ALLOW_FRONT_8080,
	  POD("shop", FRONT), POD("shop", API), UDP, 8080, NPEVAL_DENY, 0,
	  NPEVAL_INGRESS },
	{ "policies are a union",
	  "[" ALLOW_FRONT_8080 "," NP("mon", "shop", "{\"podSelector\":{"
	  "\"matchLabels\":" API "},\"ingress\":[{\"from\":[{\"podSelector\":"
	  "{\"matchLabels\":{\"app\":\"prom\"}}}],\"ports\":[{\"port\":9090}]}]"
	  "}") "]",
	  POD("shop", "{\"app\":\"prom\"}"), POD("shop", API), TCP, 9090,
	  NPEVAL_ALLOW, 0, -1 },
	{ "a union is not a cross product",
	  "[" ALLOW_FRONT_8080 "," NP("mon", "shop", "{\"podSelector\":{"
	  "\"matchLabels\":" API "},\"ingress\":[{\"from\":[{\"podSelector\":"
	  "{\"matchLabels\":{\"app\":\"prom\"}}}],\"ports\":[{\"port\":9090}]}]"
	  "}") "]",
	  POD("shop", "{\"app\":\"prom\"}"), POD("shop", API), TCP, 8080,
	  NPEVAL_DENY, 0, NPEVAL_INGRESS },

	{ "two peers are ORed: any pod of the ops namespace", OR_PEERS,
	  PODX("ops", "{\"app\":\"other\"}", OPS_NSL, NULL, NULL),
	  POD("shop", API), TCP, 80, NPEVAL_ALLOW, 0, -1 },
	{ "two peers are ORed: the monitor pod of the policy's namespace",
	  OR_PEERS, POD("shop", "{\"app\":\"monitor\"}"), POD("shop", API),
	  TCP, 80, NPEVAL_ALLOW, 0, -1 },
	{ "one peer is ANDed: other pods of the ops namespace are denied",
	  AND_PEER, PODX("ops", "{\"app\":\"other\"}", OPS_NSL, NULL, NULL),
	  POD("shop", API), TCP, 80, NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "one peer is ANDed: monitor outside ops is denied", AND_PEER,
	  PODX("shop", "{\"app\":\"monitor\"}", "{}", NULL, NULL),
	  POD("shop", API), TCP, 80, NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "a namespaceSelector on unknown namespace labels is unresolved",
	  AND_PEER, POD("ops", "{\"app\":\"monitor\"}"), POD("shop", API),
	  TCP, 80, NPEVAL_UNRESOLVED, NPEVAL_NOTE_NS_LABELS, -1 },
	{ "unknown namespace labels do not save a failing podSelector",
	  AND_PEER, POD("ops", "{\"app\":\"other\"}"), POD("shop", API),
	  TCP, 80, NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "unknown namespace labels do not save a failing metadata.name",
	  NP("p", "shop", "{\"podSelector\":{},\"ingress\":[{\"from\":[{"
	  "\"namespaceSelector\":{\"matchLabels\":{\"team\":\"ops\","
	  "\"kubernetes.io/metadata.name\":\"ops\"}}}]}]}"),
	  POD("dev", "{}"), POD("shop", API), TCP, 80, NPEVAL_DENY, 0,
	  NPEVAL_INGRESS },
	{ "an unresolved peer next to an allowing one: allowed",
	  "[" AND_PEER "," ALLOW_FRONT_8080 "]",
	  POD("shop", FRONT), POD("shop", API), TCP, 8080, NPEVAL_ALLOW, 0,
	  -1 },
	{ "one peer is ANDed: monitor in ops is allowed", AND_PEER,
	  PODX("ops", "{\"app\":\"monitor\"}", OPS_NSL, NULL, NULL),
	  POD("shop", API), TCP, 80, NPEVAL_ALLOW, 0, -1 },

	{ "namespaceSelector {} means every pod of every namespace",
	  NP("p", "shop", "{\"podSelector\":{},\"ingress\":[{\"from\":[{"
	  "\"namespaceSelector\":{}}]}]}"), POD("far", "{}"),
	  POD("shop", API), TCP, 80, NPEVAL_ALLOW, 0, -1 },
	{ "namespaceSelector {} does not match addresses",
	  NP("p", "shop", "{\"podSelector\":{},\"ingress\":[{\"from\":[{"
	  "\"namespaceSelector\":{}}]}]}"), ADDR("203.0.113.9"),
	  POD("shop", API), TCP, 80, NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "kubernetes.io/metadata.name is always a namespace label",
	  NP("p", "shop", "{\"podSelector\":{},\"ingress\":[{\"from\":[{"
	  "\"namespaceSelector\":{\"matchLabels\":{"
	  "\"kubernetes.io/metadata.name\":\"ops\"}}}]}]}"),
	  POD("ops", "{}"), POD("shop", API), TCP, 80, NPEVAL_ALLOW, 0, -1 },
	{ "kubernetes.io/metadata.name of another namespace",
	  NP("p", "shop", "{\"podSelector\":{},\"ingress\":[{\"from\":[{"
	  "\"namespaceSelector\":{\"matchLabels\":{"
	  "\"kubernetes.io/metadata.name\":\"ops\"}}}]}]}"),
	  POD("dev", "{}"), POD("shop", API), TCP, 80, NPEVAL_DENY, 0,
	  NPEVAL_INGRESS },
	{ "a policy only selects pods of its own namespace",
	  NP("api-deny", "other", "{\"podSelector\":{\"matchLabels\":" API
	  "},\"policyTypes\":[\"Ingress\"]}"), POD("shop", FRONT),
	  POD("shop", API), TCP, 80, NPEVAL_ALLOW, 0, -1 },
	{ "a policy's podSelector selects by labels",
	  NP("api-deny", "shop", "{\"podSelector\":{\"matchLabels\":" API
	  "},\"policyTypes\":[\"Ingress\"]}"), POD("shop", API),
	  POD("shop", FRONT), TCP, 80, NPEVAL_ALLOW, 0, -1 },

	{ "In matches a listed value",
	  SEL_EXPR("{\"key\":\"tier\",\"operator\":\"In\",\"values\":"
	  "[\"web\",\"edge\"]}"), POD("shop", "{\"tier\":\"edge\"}"),
	  POD("shop", API), TCP, 80, NPEVAL_ALLOW, 0, -1 },
	{ "In does not match an absent key",
	  SEL_EXPR("{\"key\":\"tier\",\"operator\":\"In\",\"values\":"
	  "[\"web\"]}"), POD("shop", "{}"), POD("shop", API), TCP, 80,
	  NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "NotIn matches an absent key",
	  SEL_EXPR("{\"key\":\"tier\",\"operator\":\"NotIn\",\"values\":"
	  "[\"db\"]}"), POD("shop", "{}"), POD("shop", API), TCP, 80,
	  NPEVAL_ALLOW, 0, -1 },
	{ "NotIn refuses a listed value",
	  SEL_EXPR("{\"key\":\"tier\",\"operator\":\"NotIn\",\"values\":"
	  "[\"db\"]}"), POD("shop", "{\"tier\":\"db\"}"), POD("shop", API),
	  TCP, 80, NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "Exists", SEL_EXPR("{\"key\":\"tier\",\"operator\":\"Exists\"}"),
	  POD("shop", "{\"tier\":\"\"}"), POD("shop", API), TCP, 80,
	  NPEVAL_ALLOW, 0, -1 },
	{ "DoesNotExist",
	  SEL_EXPR("{\"key\":\"tier\",\"operator\":\"DoesNotExist\"}"),
	  POD("shop", "{\"tier\":\"web\"}"), POD("shop", API), TCP, 80,
	  NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "matchLabels and matchExpressions are ANDed",
	  NP("p", "shop", "{\"podSelector\":{},\"ingress\":[{\"from\":[{"
	  "\"podSelector\":{\"matchLabels\":{\"app\":\"web\"},"
	  "\"matchExpressions\":[{\"key\":\"canary\",\"operator\":"
	  "\"DoesNotExist\"}]}}]}]}"),
	  POD("shop", "{\"app\":\"web\",\"canary\":\"1\"}"), POD("shop", API),
	  TCP, 80, NPEVAL_DENY, 0, NPEVAL_INGRESS },

	{ "ipBlock allows an address in the cidr", IPBLOCK_EXCEPT,
	  POD("shop", API), ADDR("203.0.113.5"), TCP, 443, NPEVAL_ALLOW, 0,
	  -1 },
	{ "ipBlock except", IPBLOCK_EXCEPT, POD("shop", API),
	  ADDR("203.0.113.200"), TCP, 443, NPEVAL_DENY, 0, NPEVAL_EGRESS },
	{ "ipBlock outside the cidr", IPBLOCK_EXCEPT, POD("shop", API),
	  ADDR("198.51.100.1"), TCP, 443, NPEVAL_DENY, 0, NPEVAL_EGRESS },
	{ "ipBlock IPv6", IPBLOCK_EXCEPT, POD("shop", API),
	  ADDR("2001:db8:ff::1:5"), TCP, 443, NPEVAL_ALLOW, 0, -1 },
	{ "ipBlock IPv6 except", IPBLOCK_EXCEPT, POD("shop", API),
	  ADDR("2001:db8:ff::17"), TCP, 443, NPEVAL_DENY, 0, NPEVAL_EGRESS },
	{ "ipBlock IPv4 cidr does not hold IPv6", EGRESS_TO("v4",
	  "[{\"ipBlock\":{\"cidr\":\"0.0.0.0/0\"}}]", "[]"),
	  POD("shop", API), ADDR("2001:db8:ff::1"), TCP, 443, NPEVAL_DENY, 0,
	  NPEVAL_EGRESS },
	{ "classic mistake: an ipBlock for a pod IP",
	  EGRESS_TO("podip", "[{\"ipBlock\":{\"cidr\":\"198.18.1.0/24\"}}]",
	  "[]"), POD("shop", API),
	  PODX("shop", "{\"app\":\"db\"}", NULL, NULL, "198.18.1.7"), TCP,
	  5432, NPEVAL_DENY, NPEVAL_NOTE_IPBLOCK_POD, NPEVAL_EGRESS },
	{ "ipBlock matches a node address",
	  EGRESS_TO("node", "[{\"ipBlock\":{\"cidr\":\"198.18.0.0/24\"}}]",
	  "[]"), POD("shop", API), NODE("198.18.0.1"), TCP, 10250,
	  NPEVAL_ALLOW, 0, -1 },

	{ "classic mistake: a named port, resolved", NAMED_HTTP,
	  POD("shop", FRONT), PODX("shop", API, NULL, API_PORTS, NULL), TCP,
	  8080, NPEVAL_ALLOW, 0, -1 },
	{ "named port names another port number", NAMED_HTTP,
	  POD("shop", FRONT), PODX("shop", API, NULL, API_PORTS, NULL), TCP,
	  9090, NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "named port of another protocol", NP("named", "shop",
	  "{\"podSelector\":{\"matchLabels\":" API "},\"ingress\":[{\"ports\":"
	  "[{\"port\":\"http\",\"protocol\":\"UDP\"}]}]}"),
	  POD("shop", FRONT), PODX("shop", API, NULL, API_PORTS, NULL), UDP,
	  8080, NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "named port with unknown container ports is unresolved",
	  NAMED_HTTP, POD("shop", FRONT), POD("shop", API), TCP, 8080,
	  NPEVAL_UNRESOLVED, NPEVAL_NOTE_NAMED_PORT, -1 },
	{ "named egress port resolves in the destination pod",
	  EGRESS_TO("named-out", "[]", "[{\"port\":\"dns\",\"protocol\":"
	  "\"UDP\"}]"), POD("shop", API),
	  PODX("kube-system", "{}", NULL, API_PORTS, NULL), UDP, 53,
	  NPEVAL_ALLOW, 0, -1 },
	{ "named egress port never matches an external address",
	  EGRESS_TO("named-out", "[]", "[{\"port\":\"https\"}]"),
	  POD("shop", API), ADDR("203.0.113.5"), TCP, 443, NPEVAL_DENY, 0,
	  NPEVAL_EGRESS },

	{ "endPort range start", RANGE, ADDR("203.0.113.5"),
	  POD("shop", API), TCP, 32000, NPEVAL_ALLOW, 0, -1 },
	{ "endPort range end", RANGE, ADDR("203.0.113.5"),
	  POD("shop", API), TCP, 32768, NPEVAL_ALLOW, 0, -1 },
	{ "endPort above the range", RANGE, ADDR("203.0.113.5"),
	  POD("shop", API), TCP, 32769, NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "endPort below the range", RANGE, ADDR("203.0.113.5"),
	  POD("shop", API), TCP, 31999, NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "UDP rule allows UDP", DNS_UDP, POD("shop", API),
	  ADDR("198.51.100.53"), UDP, 53, NPEVAL_ALLOW, 0, -1 },
	{ "UDP rule does not allow TCP", DNS_UDP, POD("shop", API),
	  ADDR("198.51.100.53"), TCP, 53, NPEVAL_DENY, 0, NPEVAL_EGRESS },
	{ "default protocol TCP", DEFAULT_TCP, POD("shop", API),
	  ADDR("198.51.100.1"), TCP, 80, NPEVAL_ALLOW, 0, -1 },
	{ "default protocol is not SCTP", DEFAULT_TCP, POD("shop", API),
	  ADDR("198.51.100.1"), SCTP, 80, NPEVAL_DENY, 0, NPEVAL_EGRESS },
	{ "a protocol without port allows all its ports", ALL_UDP,
	  POD("shop", API), ADDR("198.51.100.1"), UDP, 4789, NPEVAL_ALLOW, 0,
	  -1 },
	{ "ICMP passes a rule without ports", NP("p", "shop",
	  "{\"podSelector\":{},\"egress\":[{\"to\":[{\"ipBlock\":{\"cidr\":"
	  "\"198.51.100.0/24\"}}]}]}"), POD("shop", API),
	  ADDR("198.51.100.1"), ICMP, 0, NPEVAL_ALLOW, 0, -1 },
	{ "ICMP never passes a rule with ports", DEFAULT_TCP,
	  POD("shop", API), ADDR("198.51.100.1"), ICMP, 0, NPEVAL_DENY,
	  NPEVAL_NOTE_NO_PORTS, NPEVAL_EGRESS },

	{ "pod to pod needs the source's egress",
	  "[" DENY_EGRESS "," NP("in", "shop", "{\"podSelector\":{},"
	  "\"ingress\":[{}]}") "]", POD("shop", FRONT), POD("shop", API), TCP,
	  80, NPEVAL_DENY, 0, NPEVAL_EGRESS },
	{ "pod to pod needs the destination's ingress",
	  "[" DENY_INGRESS "," NP("out", "shop", "{\"podSelector\":{},"
	  "\"egress\":[{}]}") "]", POD("shop", FRONT), POD("shop", API), TCP,
	  80, NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "pod to pod with both sides allowed",
	  "[" NP("in", "shop", "{\"podSelector\":{},\"ingress\":[{}]}") ","
	  NP("out", "shop", "{\"podSelector\":{},\"egress\":[{}]}") "]",
	  POD("shop", FRONT), POD("shop", API), TCP, 80, NPEVAL_ALLOW, 0, -1 },
	{ "a pod cannot block its node", DENY_INGRESS, NODE("198.18.0.1"),
	  POD("shop", API), TCP, 8080, NPEVAL_ALLOW, NPEVAL_NOTE_NODE, -1 },
	{ "policies do not select hostNetwork pods", DENY_INGRESS,
	  POD("shop", FRONT), HOSTNET("shop", API), TCP, 8080, NPEVAL_ALLOW,
	  NPEVAL_NOTE_HOSTNET, -1 },
	{ "selectors do not match hostNetwork peers", ALLOW_FRONT_8080,
	  HOSTNET("shop", FRONT), POD("shop", API), TCP, 8080, NPEVAL_DENY,
	  NPEVAL_NOTE_HOSTNET, NPEVAL_INGRESS },
	{ "a List of policies", "{\"apiVersion\":\"v1\",\"kind\":\"List\","
	  "\"items\":[" DENY_INGRESS "]}", POD("shop", FRONT),
	  POD("shop", API), TCP, 80, NPEVAL_DENY, 0, NPEVAL_INGRESS },
	{ "another API's NetworkPolicy is not evaluated",
	  "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"NetworkPolicy\","
	  "\"metadata\":{\"name\":\"x\",\"namespace\":\"shop\"},\"spec\":{"
	  "\"selector\":\"all()\",\"types\":[\"Ingress\"]}}",
	  POD("shop", FRONT), POD("shop", API), TCP, 80, NPEVAL_ALLOW, 0, -1 },
	{ "a later policy of the same name replaces the earlier",
	  "[" DENY_INGRESS "," NP("deny-in", "shop", "{\"podSelector\":{},"
	  "\"ingress\":[{}]}") "]", POD("shop", FRONT), POD("shop", API), TCP,
	  80, NPEVAL_ALLOW, 0, -1 },
};

static json_object *
parse(const char *s)
{
	json_object *o;

	if (s == NULL)
		return NULL;
	o = json_tokener_parse(s);
	if (o == NULL)
		fail_msg("bad test JSON: %s", s);
	return o;
}

static void
ep_make(const struct ep_spec *s, struct npeval_ep *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->kind = s->kind;
	ep->namespace_ = s->ns;
	ep->labels = parse(s->labels);
	ep->ns_labels = parse(s->nslabels);
	ep->ports = parse(s->ports);
	ep->host_network = s->hostnet;
	if (s->addr != NULL)
		assert_int_equal(addr_parse(s->addr, &ep->addr), 0);
}

static void
ep_clear(struct npeval_ep *ep)
{
	json_object_put(ep->labels);
	json_object_put(ep->ns_labels);
	json_object_put(ep->ports);
}

static void
test_eval_table(void **state)
{
	const struct eval_case *c;
	struct npeval_set *set;
	struct npeval_result res;
	struct npeval_ep src, dst;
	json_object *pol;
	char err[512];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		assert_int_equal(npeval_set_new(&set), 0);
		pol = parse(c->policies);
		rc = npeval_set_add(set, pol, "default", "test", NULL, err,
		    sizeof(err));
		if (rc != 0)
			fail_msg("case '%s': %s", c->what, err);
		ep_make(&c->src, &src);
		ep_make(&c->dst, &dst);
		npeval_eval(set, &src, &dst, c->proto, c->port, &res);
		if (res.verdict != c->verdict)
			fail_msg("case '%s': %s, expected %s", c->what,
			    npeval_verdict_name(res.verdict),
			    npeval_verdict_name(c->verdict));
		if ((res.notes & c->notes) != c->notes)
			fail_msg("case '%s': notes %#x, expected %#x",
			    c->what, res.notes, c->notes);
		if (c->denied_side == NPEVAL_EGRESS &&
		    res.egress.verdict != NPEVAL_DENY)
			fail_msg("case '%s': egress side not denied", c->what);
		if (c->denied_side == NPEVAL_INGRESS &&
		    res.ingress.verdict != NPEVAL_DENY)
			fail_msg("case '%s': ingress side not denied", c->what);
		/* The same with the selections found beforehand. */
		{
			size_t ssel[16], dsel[16], ns, nd;
			struct npeval_result r2;

			ns = npeval_select(set, &src, NPEVAL_EGRESS, ssel, 16);
			nd = npeval_select(set, &dst, NPEVAL_INGRESS, dsel, 16);
			npeval_eval_selected(set, &src, ssel, ns, &dst, dsel,
			    nd, c->proto, c->port, &r2);
			if (memcmp(&r2, &res, sizeof(res)) != 0)
				fail_msg("case '%s': preselected differs",
				    c->what);
		}
		/* The allowing policy is named when a side is isolated. */
		if (res.verdict == NPEVAL_ALLOW && res.ingress.isolated &&
		    !(res.notes & NPEVAL_NOTE_NODE))
			assert_true(res.ingress.allowed_by >= 0);
		ep_clear(&src);
		ep_clear(&dst);
		json_object_put(pol);
		npeval_set_free(set);
	}
}

struct bad_case {
	const char *what;
	const char *policy;
	const char *msg;	/* expected in the error */
};

static const struct bad_case bad[] = {
	{ "ipBlock next to a selector", NP("b", "shop", "{\"podSelector\":{},"
	  "\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\"},"
	  "\"podSelector\":{}}]}]}"), "spec.ingress[0].from[0]: ipBlock "
	  "cannot be combined" },
	{ "an empty peer", NP("b", "shop", "{\"podSelector\":{},"
	  "\"egress\":[{\"to\":[{}]}]}"), "spec.egress[0].to[0]: a peer needs" },
	{ "unknown operator", SEL_EXPR("{\"key\":\"a\",\"operator\":\"in\","
	  "\"values\":[\"x\"]}"), "unknown operator 'in'" },
	{ "In without values", SEL_EXPR("{\"key\":\"a\",\"operator\":\"In\"}"),
	  "operator In needs values" },
	{ "Exists with values", SEL_EXPR("{\"key\":\"a\",\"operator\":"
	  "\"Exists\",\"values\":[\"x\"]}"), "takes no values" },
	{ "lower case protocol", EGRESS_TO("b", "[]", "[{\"port\":53,"
	  "\"protocol\":\"udp\"}]"), "protocol 'udp' is not TCP, UDP or SCTP" },
	{ "endPort below port", EGRESS_TO("b", "[]", "[{\"port\":90,"
	  "\"endPort\":80}]"), "endPort 80 is below port 90" },
	{ "endPort with a named port", EGRESS_TO("b", "[]", "[{\"port\":"
	  "\"http\",\"endPort\":80}]"), "endPort needs a numeric port" },
	{ "port out of range", EGRESS_TO("b", "[]", "[{\"port\":70000}]"),
	  "port must be 1-65535" },
	{ "bad port name", EGRESS_TO("b", "[]", "[{\"port\":\"8080\"}]"),
	  "neither a number nor a valid port name" },
	{ "bad cidr", EGRESS_TO("b", "[{\"ipBlock\":{\"cidr\":\"10.0.0.0/33\"}}]",
	  "[]"), "'10.0.0.0/33' is not a CIDR" },
	{ "except outside cidr", EGRESS_TO("b", "[{\"ipBlock\":{\"cidr\":"
	  "\"10.0.0.0/16\",\"except\":[\"10.1.0.0/24\"]}}]", "[]"),
	  "is not inside cidr" },
	{ "bad policyTypes", NP("b", "shop", "{\"podSelector\":{},"
	  "\"policyTypes\":[\"ingress\"]}"), "'ingress' is not Ingress or "
	  "Egress" },
	{ "no name", "{\"kind\":\"NetworkPolicy\",\"metadata\":{},\"spec\":{}}",
	  "metadata.name: is required" },
};

static void
test_invalid(void **state)
{
	struct npeval_set *set;
	json_object *pol;
	char err[512];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(npeval_set_new(&set), 0);
		/* A good policy first: an error must add nothing at all. */
		pol = json_object_new_array();
		json_object_array_add(pol, parse(DENY_INGRESS));
		json_object_array_add(pol, parse(bad[i].policy));
		rc = npeval_set_add(set, pol, "default", "f.yaml", NULL, err,
		    sizeof(err));
		if (rc != -EINVAL)
			fail_msg("case '%s': rc %d", bad[i].what, rc);
		if (strstr(err, bad[i].msg) == NULL)
			fail_msg("case '%s': message '%s' lacks '%s'",
			    bad[i].what, err, bad[i].msg);
		assert_non_null(strstr(err, "f.yaml: "));
		assert_int_equal(npeval_set_count(set), 0);
		json_object_put(pol);
		npeval_set_free(set);
	}
}

static void
test_select_and_names(void **state)
{
	struct npeval_set *set;
	struct npeval_ep ep;
	struct ep_spec api = POD("shop", API);
	json_object *pol;
	size_t idx[4], nskipped = 0, n;
	char err[256];

	(void)state;
	assert_int_equal(npeval_set_new(&set), 0);
	pol = parse("[" DENY_INGRESS "," ALLOW_FRONT_8080 "," DENY_EGRESS ","
	    "{\"kind\":\"Deployment\",\"apiVersion\":\"apps/v1\"},"
	    "{\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":\"nons\"},"
	    "\"spec\":{\"podSelector\":{}}}, null]");
	assert_int_equal(npeval_set_add(set, pol, "dev", "x", &nskipped, err,
	    sizeof(err)), 0);
	assert_int_equal(nskipped, 1);
	assert_int_equal(npeval_set_count(set), 4);
	/* Without metadata.namespace the default namespace is used. */
	assert_string_equal(npeval_policy_namespace(set, 3), "dev");
	assert_string_equal(npeval_policy_source(set, 3), "x");
	assert_true(npeval_policy_has_dir(set, 3, NPEVAL_INGRESS));
	assert_false(npeval_policy_has_dir(set, 3, NPEVAL_EGRESS));

	ep_make(&api, &ep);
	n = npeval_select(set, &ep, NPEVAL_INGRESS, idx, 4);
	assert_int_equal(n, 2);
	assert_string_equal(npeval_policy_name(set, idx[0]), "deny-in");
	assert_string_equal(npeval_policy_name(set, idx[1]), "api-in");
	n = npeval_select(set, &ep, NPEVAL_EGRESS, idx, 4);
	assert_int_equal(n, 1);
	assert_string_equal(npeval_policy_name(set, idx[0]), "deny-out");
	/* Counting only. */
	assert_int_equal(npeval_select(set, &ep, NPEVAL_INGRESS, NULL, 0), 2);
	ep_clear(&ep);
	json_object_put(pol);
	npeval_set_free(set);
	npeval_set_free(NULL);
}

static void
test_texts(void **state)
{
	(void)state;
	assert_string_equal(npeval_verdict_name(NPEVAL_DENY), "denied");
	assert_string_equal(npeval_verdict_name(NPEVAL_UNRESOLVED),
	    "unresolved");
	assert_non_null(strstr(npeval_note_text(NPEVAL_NOTE_IPBLOCK_POD),
	    "implementation-defined"));
	assert_non_null(strstr(npeval_note_text(NPEVAL_NOTE_NAMED_PORT |
	    NPEVAL_NOTE_NODE), "node"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval_table),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_select_and_names),
		cmocka_unit_test(test_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
