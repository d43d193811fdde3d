// CiliumNetworkPolicy semantics (docs.cilium.io, "Layer 3/4 policy",
// "DNS based"; pkg/policy/api), for the subset netpol-record writes:
// - a namespaced policy's endpointSelector selects pods of its namespace,
//   label keys with or without the "k8s:"/"any:" source prefix; a pod is
//   put in default deny for a direction by a selecting rule with rules of
//   that direction (enableDefaultDeny can say otherwise); deny rules win;
//   Kubernetes NetworkPolicies are enforced too (their rules add up);
// - fromEndpoints/toEndpoints select pods by labels plus
//   io.kubernetes.pod.namespace (added as the policy's namespace when the
//   selector names neither it nor io.cilium.k8s.namespace.labels.*);
// - toCIDR/toCIDRSet (with except) match addresses outside the cluster
//   only, never pods or nodes (Cilium's default policy-cidr-match-mode);
// - toEntities/fromEntities: world (outside the cluster), cluster (pods
//   and nodes), host (the pod's node), remote-node (other nodes), all;
// - toFQDNs matchName/matchPattern match an address the pod reached after
//   resolving a matching name, and only when a DNS rule (toPorts[].rules.
//   dns) of the pod's policies lets Cilium's DNS proxy see that lookup;
// - toPorts: port strings ("0" any), endPort ranges, protocol ANY (TCP,
//   UDP, SCTP), named ports on the destination pod; icmps: type (number
//   or name) and family; a rule with toPorts or icmps allows only what
//   they list, a rule with neither any protocol; L7 rules do not change
//   the L4 verdict; an empty rule ({}) allows nothing (default deny);
// - from the pod's own node: allowed (Cilium's allow-localhost default).
import { namespaceLabels, namesOf } from "./flows.mjs";
import { parseCIDR, parseIP, cidrContains } from "./net.mjs";
import { matchSelector, requirements } from "./selector.mjs";
import { npItems } from "./eval_networkpolicy.mjs";
import { anyOf, allOf, combine, isICMP, isPod, isPortProtocol, namedPort, portIn, yes, no, unknown } from "./verdict.mjs";

const list = (v) => (Array.isArray(v) ? v : []);
const NS_KEY = "io.kubernetes.pod.namespace";
const NS_LABELS = "io.cilium.k8s.namespace.labels.";

// stripSource("k8s:app") -> "app"; reserved: and other sources stay.
const stripSource = (k) => k.replace(/^(k8s|any):/, "");

// ciliumLabels(model, w): the labels Cilium gives a pod's identity.
function ciliumLabels(model, w) {
	const ns = namespaceLabels(model, w.namespace);
	const labels = { ...w.labels.labels, [NS_KEY]: w.namespace };
	for (const [k, v] of Object.entries(ns.labels)) labels[NS_LABELS + k] = v;
	const complete = (key) => {
		if (key.startsWith(NS_LABELS)) return ns.complete;
		if (key.startsWith("io.cilium.k8s.policy.") || /^[a-z0-9-]+:/.test(key)) return key.startsWith("reserved:");
		return typeof w.labels.complete === "function" ? w.labels.complete(key) : w.labels.complete;
	};
	return { labels, complete };
}

// endpointsMatch(sel, policyNs, end, model): a fromEndpoints/toEndpoints
// selector, with the policy's namespace added when it names none.
function endpointsMatch(sel, policyNs, end, model) {
	if (!isPod(end)) return no("endpoint selectors match pods only");
	const w = end.workload;
	// As cilium-agent does (k8s/apis/cilium.io/utils): a selector that names
	// the namespace, or selects by namespace labels, is not narrowed.
	const namesNs = requirements(sel, stripSource).some(([k]) => k === NS_KEY || k.startsWith(NS_LABELS));
	if (!namesNs && w.namespace !== policyNs) return no(`${w.id} is not in namespace ${policyNs}`);
	const v = matchSelector(sel, ciliumLabels(model, w), stripSource);
	return { v, why: v === null ? `the labels of ${w.id} or of its namespace are not recorded` : "endpoint selector" };
}

function entityMatches(entity, end) {
	const world = end.type === "address";
	const node = end.type === "node" || (end.type === "workload" && end.workload.hostNetwork);
	const local = end.type === "node" ? end.node?.local ?? null : null;
	switch (entity) {
	case "all": return yes("entity all");
	case "world": return end.type === "unknown" ? unknown("an address of unknown class") : world ? yes("entity world") : no("not outside the cluster");
	case "world-ipv4": case "world-ipv6":
		return world && end.ip?.family === (entity === "world-ipv4" ? 4 : 6) ? yes(`entity ${entity}`) : no(`not ${entity}`);
	case "cluster": return end.type === "workload" || end.type === "node" ? yes("entity cluster") : no("not in the cluster");
	case "host": return !node ? no("not a node") : local === null ? unknown("whether the node is the pod's own is not recorded") : local ? yes("entity host") : no("another node");
	case "remote-node": return !node ? no("not a node") : local === null ? unknown("whether the node is the pod's own is not recorded") : local ? no("the pod's own node") : yes("entity remote-node");
	default: return no(`entity ${entity} matches nothing recorded`);
	}
}

function cidrMatches(cidrText, except, end) {
	if (end.type !== "address") return no("CIDR rules match addresses outside the cluster only");
	const cidr = parseCIDR(cidrText) ?? (parseIP(cidrText) ? parseCIDR(`${cidrText}/${cidrText.includes(":") ? 128 : 32}`) : null);
	if (!cidr || !end.ip || !cidrContains(cidr, end.ip)) return no(`${end.address} is not in ${cidrText}`);
	const ex = list(except).find((e) => cidrContains(parseCIDR(e), end.ip));
	return ex ? no(`${end.address} is in except ${ex}`) : yes(`CIDR ${cidrText}`);
}

// patternRE(pattern): Cilium's matchPattern: "*" alone is every name, a
// leading "**." one or more labels, any other "*" a part of one label.
export function patternRE(pattern) {
	const p = pattern.toLowerCase().replace(/\.$/, "");
	if (p === "*") return /^.*$/;
	let body = p;
	let head = "";
	if (body.startsWith("**.")) {
		head = "([-a-z0-9_]+\\.)+";
		body = body.slice(3);
	}
	const esc = body.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[-a-z0-9_]*");
	return new RegExp(`^${head}${esc}$`);
}

const fqdnMatches = (sel, name) => (sel.matchName !== undefined
	? sel.matchName.toLowerCase().replace(/\.$/, "") === name
	: sel.matchPattern !== undefined && patternRE(sel.matchPattern).test(name));

function fqdnRule(selectors, end, flow, model, dnsVisible) {
	if (end.type !== "address") return no("toFQDNs match addresses outside the cluster only");
	const names = [...namesOf(model, flow)];
	if (names.length === 0) return no(`no name was resolved to ${end.address}`);
	const matching = names.filter((n) => selectors.some((s) => fqdnMatches(s, n)));
	if (matching.length === 0) return no(`${names.join(", ")} not in toFQDNs`);
	const seen = matching.find(dnsVisible);
	if (!seen) return no(`toFQDNs names ${matching.join(", ")}, but no DNS rule (toPorts[].rules.dns) of the pod's policies lets Cilium see that lookup`);
	return yes(`toFQDNs ${seen}`);
}

const ICMP_TYPES = {
	4: { EchoReply: 0, DestinationUnreachable: 3, Redirect: 5, Echo: 8, EchoRequest: 8, RouterAdvertisement: 9, RouterSelection: 10, TimeExceeded: 11, ParameterProblem: 12, Timestamp: 13, TimestampReply: 14 },
	6: { DestinationUnreachable: 1, PacketTooBig: 2, TimeExceeded: 3, ParameterProblem: 4, EchoRequest: 128, EchoReply: 129, RouterSolicitation: 133, RouterAdvertisement: 134, NeighborSolicitation: 135, NeighborAdvertisement: 136 },
};

function icmpMatches(icmps, flow) {
	if (!isICMP(flow.protocol)) return no(`${flow.protocol} is not ICMP`);
	const family = flow.protocol === "ICMP" ? 4 : 6;
	for (const rule of icmps) for (const f of list(rule.fields)) {
		const fam = f.family === "IPv6" ? 6 : 4;
		const type = typeof f.type === "number" ? f.type : /^[0-9]+$/.test(String(f.type)) ? Number(f.type) : ICMP_TYPES[fam][f.type];
		if (fam === family && type === flow.icmpType) return yes(`icmps type ${f.type}`);
	}
	return no(`ICMP${family === 6 ? "v6" : ""} type ${flow.icmpType} not in icmps`);
}

function portRuleMatches(pr, flow, dstWorkload) {
	const ports = list(pr.ports);
	if (ports.length === 0) return isPortProtocol(flow.protocol) ? yes("any port") : no(`${flow.protocol} has no ports`);
	return anyOf(ports.map((pp) => {
		const proto = pp.protocol ?? "ANY";
		if (proto === "ANY" ? !isPortProtocol(flow.protocol) : proto !== flow.protocol) return no(`not ${proto}`);
		const port = String(pp.port ?? "0");
		if (/^[0-9]+$/.test(port)) {
			const n = Number(port);
			if (n === 0) return yes(`any ${proto} port`);
			return portIn(flow, n, pp.endPort) ? yes(`${proto}/${port}`) : no(`not port ${port}`);
		}
		if (!dstWorkload) return no(`named port ${port} on an address`);
		const named = namedPort(dstWorkload, port, flow.protocol);
		if (named === null) return unknown(`the container ports of ${dstWorkload.id} are not recorded (named port ${port})`);
		return named !== false && named === flow.port ? yes(`named port ${port}`) : no(`not named port ${port}`);
	}), "no port matches");
}

const UNSUPPORTED = ["toServices", "toGroups", "toNodes", "toRequires", "fromGroups", "fromNodes", "fromRequires"];

// ruleMatches(rule, dir, ns, flow, model, dnsVisible): one ingress or
// egress rule (allow or deny) against the flow.
function ruleMatches(rule, dir, ns, flow, model, dnsVisible) {
	for (const k of UNSUPPORTED) if (list(rule[k]).length > 0) throw new Error(`${k} is not supported by the evaluator`);
	for (const set of list(rule.toCIDRSet).concat(list(rule.fromCIDRSet))) if (set.cidrGroupRef || set.cidrGroupSelector) throw new Error("cidrGroupRef/cidrGroupSelector are not supported by the evaluator");
	const peer = dir === "egress" ? flow.dst : flow.src;
	const p = dir === "egress" ? "to" : "from";
	const l3 = [];
	if (rule[`${p}Endpoints`] !== undefined) l3.push(anyOf(list(rule[`${p}Endpoints`]).map((s) => endpointsMatch(s, ns, peer, model)), "no endpoint selector matches"));
	if (rule[`${p}CIDR`] !== undefined) l3.push(anyOf(list(rule[`${p}CIDR`]).map((c) => cidrMatches(c, [], peer)), "no CIDR matches"));
	if (rule[`${p}CIDRSet`] !== undefined) l3.push(anyOf(list(rule[`${p}CIDRSet`]).map((c) => cidrMatches(c.cidr, c.except, peer)), "no CIDR matches"));
	if (rule[`${p}Entities`] !== undefined) {
		const ents = list(rule[`${p}Entities`]);
		// host and remote-node together are every node, wherever it is.
		const isNode = peer.type === "node" || (peer.type === "workload" && peer.workload.hostNetwork);
		const nodes = isNode && ents.includes("host") && ents.includes("remote-node");
		l3.push(nodes ? yes("entities host and remote-node") : anyOf(ents.map((e) => entityMatches(e, peer)), "no entity matches"));
	}
	if (dir === "egress" && rule.toFQDNs !== undefined) l3.push(fqdnRule(list(rule.toFQDNs), peer, flow, model, dnsVisible));
	// A rule without peers, ports or ICMP types ({}) selects nothing: it is
	// Cilium's idiom for default deny (examples/policies/l3/
	// egress-default-deny). Ports alone (L4 only) mean any peer.
	if (l3.length === 0 && list(rule.toPorts).length === 0 && list(rule.icmps).length === 0)
		return no("an empty rule selects no peer (Cilium's default-deny idiom)");
	const who = l3.length === 0 ? yes("any peer") : allOf(l3);
	const dstWorkload = flow.dst.type === "workload" ? flow.dst.workload : null;
	let l4 = yes("any protocol");
	if (list(rule.toPorts).length > 0) {
		l4 = isPortProtocol(flow.protocol) ? anyOf(list(rule.toPorts).map((pr) => portRuleMatches(pr, flow, dstWorkload)), "no port matches") : no(`${flow.protocol} is not allowed by toPorts`);
	} else if (list(rule.icmps).length > 0) {
		l4 = icmpMatches(list(rule.icmps), flow);
	}
	return allOf([who, l4]);
}

// The rules of a policy object (spec and specs).
const rulesOf = (cnp) => [cnp.spec, ...list(cnp.specs)].filter((r) => r && typeof r === "object");

// dnsVisibility(cnps, w, model): name -> can Cilium's DNS proxy see the
// pod's lookup of it (a DNS rule of a policy selecting the pod)?
function dnsVisibility(selecting) {
	const sels = [];
	for (const r of selecting) for (const e of list(r.egress)) for (const pr of list(e.toPorts)) sels.push(...list(pr.rules?.dns));
	return (name) => sels.some((s) => fqdnMatches(s, name));
}

// ciliumItems(cnps, model, flow, dir): per rule of the subject's
// namespace: selects, allows, denies.
function ciliumItems(cnps, model, flow, dir) {
	const w = (dir === "egress" ? flow.src : flow.dst).workload;
	const own = cnps.filter((c) => c.metadata.namespace === w.namespace);
	const labels = ciliumLabels(model, w);
	const rules = [];
	for (const cnp of own) rulesOf(cnp).forEach((r, i) => {
		if (r.nodeSelector) return;
		const selects = matchSelector(r.endpointSelector ?? {}, labels, stripSource);
		rules.push({ cnp, r, i, selects });
	});
	const selecting = rules.filter((x) => x.selects !== false).map((x) => x.r);
	const dnsVisible = dnsVisibility(selecting);
	const denyKey = `${dir}Deny`;
	return rules.map(({ cnp, r, i, selects }) => {
		const name = `CiliumNetworkPolicy ${w.namespace}/${cnp.metadata.name}${cnp.specs ? ` rule ${i}` : ""}`;
		const enforces = r.enableDefaultDeny?.[dir] ?? (list(r[dir]).length > 0 || list(r[denyKey]).length > 0);
		const allows = list(r[dir]).length === 0 ? no(`it has no ${dir} rules`)
			: anyOf(list(r[dir]).map((rule) => ruleMatches(rule, dir, w.namespace, flow, model, dnsVisible)));
		const denies = list(r[denyKey]).length === 0 ? null
			: anyOf(list(r[denyKey]).map((rule) => ruleMatches(rule, dir, w.namespace, flow, model, () => false)));
		return { name, selects, isolates: enforces ? selects : false, allows, denies };
	});
}

// ciliumSide(policies, model, flow, dir): one end, Cilium enforcing its
// own policies and the Kubernetes NetworkPolicies.
export function ciliumSide(policies, model, flow, dir) {
	const subject = dir === "egress" ? flow.src : flow.dst;
	if (!isPod(subject)) return yes("not a Cilium endpoint: no policy applies");
	if (dir === "ingress" && flow.src.type === "node" && flow.src.node?.local !== false) return yes("from the pod's node: allowed (allow-localhost)");
	const cnps = policies.filter((p) => p.kind === "CiliumNetworkPolicy");
	const nps = policies.filter((p) => p.kind === "NetworkPolicy");
	return combine([...ciliumItems(cnps, model, flow, dir), ...npItems(nps, model, flow, dir)], "no policy selects it");
}

export const KINDS = ["CiliumNetworkPolicy", "NetworkPolicy"];
