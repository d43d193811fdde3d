// ClusterNetworkPolicy semantics (network-policy-api v0.2.0, the CRD's
// field documentation): per direction, the Admin tier, then the
// NetworkPolicy tier, then the Baseline tier, then the default (allowed).
// In a tier, policies whose subject selects the pod are taken by priority
// (lower first; equal priorities by name, which the API leaves undefined
// and the validator refuses), and their rules in order; the first rule
// whose peers and protocols match decides: Accept allows, Deny denies,
// Pass skips the rest of the tier. NetworkPolicies selecting the pod in
// that direction decide in their tier. Egress Accept does not skip the
// destination's ingress: a connection needs both ends.
// Peers: namespaces (pods of matching namespaces), pods (namespace and pod
// selectors), nodes (node labels; {} is every node), networks (CIDRs: any
// address, pods included), domainNames (an address the pod reached after
// resolving a matching name; "*.example.com" matches names below it at any
// depth, not example.com). Host-network pods are never subjects or pods
// peers. Protocols: tcp/udp/sctp with a destination port number or range
// (inclusive), destinationNamedPort on the destination pod; a rule without
// protocols matches every protocol, ICMP included.
import { namespaceLabels, namesOf } from "./flows.mjs";
import { parseCIDR } from "./net.mjs";
import { matchSelector, and3, or3 } from "./selector.mjs";
import { npItems } from "./eval_networkpolicy.mjs";
import { anyOf, allOf, combine, inCIDRs, isPod, namedPort, portIn, yes, no, unknown } from "./verdict.mjs";

const list = (v) => (Array.isArray(v) ? v : []);

function podMatches(end, nsSel, podSel, model) {
	if (!isPod(end)) return no("not a pod on the pod network");
	const w = end.workload;
	const v = and3(matchSelector(nsSel ?? {}, namespaceLabels(model, w.namespace)), podSel ? matchSelector(podSel, w.labels) : true);
	return { v, why: v === null ? `the labels of ${w.id} or of namespace ${w.namespace} are not recorded` : "selector" };
}

// domainMatches(pattern, name): "*.a.b" matches one or more labels before
// ".a.b"; anything else is an exact name.
export function domainMatches(pattern, name) {
	const p = pattern.toLowerCase().replace(/\.$/, "");
	if (p.startsWith("*.")) return name.endsWith(p.slice(1)) && name.length > p.length - 1;
	return p === name;
}

function peerMatches(peer, end, flow, model) {
	if (peer.namespaces) return podMatches(end, peer.namespaces, null, model);
	if (peer.pods) return podMatches(end, peer.pods.namespaceSelector, peer.pods.podSelector, model);
	if (peer.nodes) {
		const node = end.type === "node" ? end.node : null;
		if (!node && !(end.type === "workload" && end.workload.hostNetwork)) return no("not a node");
		const v = matchSelector(peer.nodes, node?.labels ?? { labels: {}, complete: false });
		return { v, why: v === null ? "the node's labels are not recorded" : "node selector" };
	}
	if (peer.networks) {
		const v = inCIDRs(end, list(peer.networks).map(parseCIDR).filter(Boolean), model.podCIDRs);
		return { v, why: v === null ? `the address of ${end.type === "workload" ? end.workload.id : "the peer"} is not recorded (networks ${peer.networks.join(", ")})` : `networks ${peer.networks.join(", ")}` };
	}
	if (peer.domainNames) {
		if (end.type !== "address") return no("domainNames match addresses outside the cluster only");
		const names = [...namesOf(model, flow)];
		const hit = names.find((n) => peer.domainNames.some((d) => domainMatches(d, n)));
		return hit ? yes(`domainNames ${hit}`) : no(names.length ? `${names.join(", ")} not in domainNames` : `no name was resolved to ${end.address}`);
	}
	throw new Error(`a peer with none of namespaces, pods, nodes, networks, domainNames: ${JSON.stringify(peer)}`);
}

function protocolMatches(pr, flow) {
	if (pr.destinationNamedPort !== undefined) {
		if (flow.dst.type !== "workload") return no(`named port ${pr.destinationNamedPort} on an address`);
		const n = namedPort(flow.dst.workload, pr.destinationNamedPort, flow.protocol);
		if (n === null) return unknown(`the container ports of ${flow.dst.workload.id} are not recorded (named port ${pr.destinationNamedPort})`);
		return n !== false && n === flow.port ? yes(`named port ${pr.destinationNamedPort}`) : no(`not named port ${pr.destinationNamedPort}`);
	}
	for (const proto of ["tcp", "udp", "sctp"]) {
		if (!pr[proto]) continue;
		if (flow.protocol !== proto.toUpperCase()) return no(`not ${proto.toUpperCase()}`);
		const dp = pr[proto].destinationPort ?? {};
		if (dp.number !== undefined) return flow.port === dp.number ? yes(`${flow.protocol}/${dp.number}`) : no(`not port ${dp.number}`);
		if (dp.range) return portIn(flow, dp.range.start, dp.range.end) ? yes(`${flow.protocol}/${dp.range.start}-${dp.range.end}`) : no(`not in ${dp.range.start}-${dp.range.end}`);
		return yes(`any ${flow.protocol} port`);
	}
	throw new Error(`a protocol with none of tcp, udp, sctp, destinationNamedPort: ${JSON.stringify(pr)}`);
}

function ruleMatches(rule, dir, flow, model) {
	const peer = dir === "egress" ? flow.dst : flow.src;
	const peers = list(dir === "egress" ? rule.to : rule.from);
	const who = anyOf(peers.map((p) => peerMatches(p, peer, flow, model)), "no peer matches");
	if (rule.protocols === undefined) return allOf([who, yes("any protocol")]);
	return allOf([who, anyOf(list(rule.protocols).map((p) => protocolMatches(p, flow)), "no protocol matches")]);
}

// subjectSelects(cnp, w, model): does the policy apply to the workload's
// pods? (tri-state)
export function subjectSelects(cnp, w, model) {
	const s = cnp.spec?.subject ?? {};
	if (s.namespaces) return matchSelector(s.namespaces, namespaceLabels(model, w.namespace));
	if (s.pods) return and3(matchSelector(s.pods.namespaceSelector ?? {}, namespaceLabels(model, w.namespace)), matchSelector(s.pods.podSelector ?? {}, w.labels));
	return false;
}

const byPriority = (a, b) => (a.spec.priority - b.spec.priority) || String(a.metadata.name).localeCompare(String(b.metadata.name));

// tierDecision(cnps, tier, w, dir, flow, model): {action, why} with action
// "Accept", "Deny", "Pass", "none" or "unknown".
function tierDecision(cnps, tier, w, dir, flow, model) {
	const inTier = cnps.filter((c) => c.spec?.tier === tier).sort(byPriority);
	for (const cnp of inTier) {
		const selects = subjectSelects(cnp, w, model);
		if (selects === false) continue;
		const rules = list(cnp.spec[dir]);
		for (let i = 0; i < rules.length; i++) {
			const m = ruleMatches(rules[i], dir, flow, model);
			if (m.v === false) continue;
			const where = `ClusterNetworkPolicy ${cnp.metadata.name} (${tier} ${cnp.spec.priority}) ${dir}[${i}]${rules[i].name ? ` "${rules[i].name}"` : ""}`;
			if (m.v === null || selects === null)
				return { action: "unknown", why: `${where} may match: ${m.v === null ? m.why : `whether its subject selects ${w.id} is not recorded`}` };
			return { action: rules[i].action, why: `${rules[i].action} by ${where}: ${m.why}` };
		}
	}
	return { action: "none", why: `no ${tier} rule matches` };
}

// cnpSide(policies, model, flow, dir): one end through the tiers.
export function cnpSide(policies, model, flow, dir) {
	const subject = dir === "egress" ? flow.src : flow.dst;
	if (!isPod(subject)) return yes("not a pod on the pod network: no policy applies");
	const w = subject.workload;
	const cnps = policies.filter((p) => p.kind === "ClusterNetworkPolicy");
	const nps = policies.filter((p) => p.kind === "NetworkPolicy");
	const decide = (d) => (d.action === "Accept" ? yes(d.why) : d.action === "Deny" ? no(d.why) : d.action === "unknown" ? unknown(d.why) : null);
	const admin = tierDecision(cnps, "Admin", w, dir, flow, model);
	if (decide(admin)) return decide(admin);
	if (!(dir === "ingress" && flow.src.type === "node" && flow.src.node?.local !== false)) {
		const items = npItems(nps, model, flow, dir);
		const selected = or3(...items.map((i) => i.selects));
		if (selected === true) return combine(items, "");
		if (selected === null) return unknown(`whether a NetworkPolicy selects ${w.id} is not recorded`);
	}
	const baseline = tierDecision(cnps, "Baseline", w, dir, flow, model);
	if (decide(baseline)) return decide(baseline);
	return yes(`${admin.action === "Pass" ? "passed by the Admin tier; " : ""}${baseline.action === "Pass" ? baseline.why.replace(/^Pass/, "passed") : "no rule matches"}: the default allows it`);
}

export const KINDS = ["ClusterNetworkPolicy", "NetworkPolicy"];
