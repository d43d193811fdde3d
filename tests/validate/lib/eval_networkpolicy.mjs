// NetworkPolicy semantics (kubernetes.io/docs/concepts/services-networking/
// network-policies), as netpol-record check applies them (cli/REPORT.md):
// a policy selects pods of its namespace; a pod no policy of a direction
// selects is open; selected, it is allowed when any rule of any selecting
// policy allows; policyTypes omitted means Ingress, plus Egress when there
// are egress rules; peers of a rule are ORed, podSelector and
// namespaceSelector in one peer ANDed; ipBlock (with except) matches
// addresses that are not pods; ports: absent means every port and
// protocol (ICMP too), protocol defaults to TCP, endPort makes a range, a
// named port is the destination pod's container port; pod to pod needs
// the source's egress and the destination's ingress; from the pod's own
// node is always allowed (kubelet probes); hostNetwork pods are never
// selected.
import { namespaceLabels } from "./flows.mjs";
import { parseCIDR, cidrContains } from "./net.mjs";
import { matchSelector, and3 } from "./selector.mjs";
import { anyOf, allOf, combine, isICMP, isPod, namedPort, portIn, yes, no, unknown } from "./verdict.mjs";

const list = (v) => (Array.isArray(v) ? v : []);

// policyTypes(np): the directions a policy isolates.
export function policyTypes(np) {
	const spec = np.spec ?? {};
	if (Array.isArray(spec.policyTypes) && spec.policyTypes.length > 0) return spec.policyTypes;
	return list(spec.egress).length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

const tri = (v, why) => ({ v, why });

function peerMatches(peer, ns, end, model) {
	if (peer.ipBlock) {
		if (end.type === "workload") return no("an ipBlock never matches a recorded workload (implementation-defined for pod addresses)");
		if (!end.ip) return unknown("the peer's address is unknown");
		const cidr = parseCIDR(peer.ipBlock.cidr);
		if (!cidr || !cidrContains(cidr, end.ip)) return no(`${end.address} is not in ${peer.ipBlock.cidr}`);
		const ex = list(peer.ipBlock.except).find((e) => cidrContains(parseCIDR(e), end.ip));
		return ex ? no(`${end.address} is in except ${ex}`) : yes(`ipBlock ${peer.ipBlock.cidr}`);
	}
	if (!isPod(end)) return no("selectors match pods only");
	const w = end.workload;
	const parts = [];
	if (peer.namespaceSelector) parts.push(matchSelector(peer.namespaceSelector, namespaceLabels(model, w.namespace)));
	else parts.push(w.namespace === ns);
	if (peer.podSelector) parts.push(matchSelector(peer.podSelector, w.labels));
	const v = and3(...parts);
	return tri(v, v === null ? `the labels of ${w.id} or of namespace ${w.namespace} are not recorded` : "selector");
}

function portMatches(port, flow) {
	const protocol = port.protocol ?? "TCP";
	if (flow.protocol !== protocol) return no(`not ${protocol}`);
	if (port.port === undefined || port.port === null) return yes(`any ${protocol} port`);
	if (typeof port.port === "number") return portIn(flow, port.port, port.endPort) ? yes(`${protocol}/${port.port}`) : no(`not port ${port.port}`);
	if (flow.dst.type !== "workload") return no(`named port ${port.port} on an address`);
	const n = namedPort(flow.dst.workload, port.port, protocol);
	if (n === null) return unknown(`the container ports of ${flow.dst.workload.id} are not recorded (named port ${port.port})`);
	return n !== false && flow.port === n ? yes(`named port ${port.port}`) : no(`not named port ${port.port}`);
}

function ruleMatches(rule, peersKey, ns, peer, flow, model) {
	const peers = list(rule[peersKey]);
	const who = peers.length === 0 ? yes("any peer") : anyOf(peers.map((p) => peerMatches(p, ns, peer, model)), "no peer matches");
	const ports = list(rule.ports);
	if (ports.length === 0) return allOf([who, yes("any port")]);
	if (isICMP(flow.protocol) || typeof flow.protocol === "number") return no(`${flow.protocol} is only allowed by rules without ports`);
	return allOf([who, anyOf(ports.map((p) => portMatches(p, flow)), "no port matches")]);
}

// npItems(policies, model, flow, dir): per NetworkPolicy of the subject's
// namespace that isolates dir: whether it selects the subject and allows
// the flow (the shape verdict.combine and the ClusterNetworkPolicy tiers
// read).
export function npItems(policies, model, flow, dir) {
	const subject = dir === "egress" ? flow.src : flow.dst;
	const peer = dir === "egress" ? flow.dst : flow.src;
	const type = dir === "egress" ? "Egress" : "Ingress";
	const key = dir === "egress" ? "to" : "from";
	const w = subject.workload;
	return policies.filter((np) => np.metadata.namespace === w.namespace && policyTypes(np).includes(type)).map((np) => {
		const selects = matchSelector(np.spec?.podSelector ?? {}, w.labels);
		const rules = list(np.spec?.[dir]);
		const allows = rules.length === 0 ? no(`it has no ${dir} rules`) : anyOf(rules.map((r) => ruleMatches(r, key, w.namespace, peer, flow, model)));
		return { name: `NetworkPolicy ${w.namespace}/${np.metadata.name}`, selects, allows };
	});
}

// side(policies, model, flow, dir): the verdict of one end.
export function npSide(policies, model, flow, dir) {
	const subject = dir === "egress" ? flow.src : flow.dst;
	if (!isPod(subject)) return yes("not a pod: no NetworkPolicy applies");
	// The pod's own node always reaches it; the report does not say which
	// node a pod runs on, so a node is taken as the pod's own unless the
	// flows file says otherwise (local: false).
	if (dir === "ingress" && flow.src.type === "node" && flow.src.node?.local !== false) return yes("from the pod's node: always allowed");
	return combine(npItems(policies, model, flow, dir), "no NetworkPolicy selects it");
}

export const KINDS = ["NetworkPolicy"];
