// What the three evaluators share: answers with reasons, the ends of a
// flow, ports, and how several policies of one direction combine.
//
// An answer is {v, why}: v true (allowed / matches), false, or null when
// the recording does not say enough to decide; why is a sentence.
import { cidrContains } from "./net.mjs";
import { and3, or3 } from "./selector.mjs";

export const yes = (why) => ({ v: true, why });
export const no = (why) => ({ v: false, why });
export const unknown = (why) => ({ v: null, why });

export const isICMP = (p) => p === "ICMP" || p === "ICMPv6";
export const isPortProtocol = (p) => p === "TCP" || p === "UDP" || p === "SCTP";

// isPod(end): an end that policies select: a workload's pod on the pod
// network (hostNetwork pods are the node's, never selected).
export const isPod = (end) => end.type === "workload" && !end.workload.hostNetwork;

// ipsOf(end): {ips, known}: the addresses of an end, and whether they are
// all known (the report does not carry pod addresses).
export function ipsOf(end) {
	if (end.type === "workload") return { ips: end.workload.addresses, known: end.workload.addresses.length > 0 };
	return { ips: end.ip ? [end.ip] : [], known: Boolean(end.ip) };
}

// inCIDRs(end, cidrs, podCIDRs): is an address of end in one of cidrs
// (parsed)? A pod with unknown addresses is in a /0 of both families, not
// in a CIDR outside the pod ranges, and unknown otherwise.
export function inCIDRs(end, cidrs, podCIDRs = []) {
	const { ips, known } = ipsOf(end);
	if (known) return ips.some((ip) => cidrs.some((c) => cidrContains(c, ip)));
	if (end.type !== "workload") return null;
	const zero = (f) => cidrs.some((c) => c.family === f && c.bits === 0);
	if (zero(4) && zero(6)) return true;
	if (podCIDRs.length > 0) {
		const overlaps = (a, b) => a.family === b.family && cidrContains(a.bits <= b.bits ? a : b, a.bits <= b.bits ? b : a);
		if (!cidrs.some((c) => podCIDRs.some((p) => overlaps(c, p)))) return false;
	}
	return null;
}

// namedPort(workload, name, protocol): the number of a container port, false
// when the workload has no such port, null when its ports are unknown.
export function namedPort(workload, name, protocol) {
	if (!workload.ports) return null;
	const p = workload.ports.find((x) => x.name === name && (x.protocol ?? "TCP") === protocol);
	return p ? p.port : false;
}

// portIn(flow, port, end): flow.port within port..end (end 0 or absent:
// port alone).
export const portIn = (flow, port, end) => (end ? flow.port >= port && flow.port <= end : flow.port === port);

// combine(items, open): the verdict of one direction under Kubernetes and
// Cilium rules: a pod that no item isolates is open (the reason open);
// else it is allowed when a selecting item allows; a matching deny wins.
// items: [{name, selects, isolates?, allows: {v, why}, denies?: {v, why}}]
// with tri-state selects and isolates (isolates defaults to selects).
export function combine(items, open) {
	const isolated = or3(...items.map((i) => i.isolates ?? i.selects));
	const denied = items.find((i) => i.selects !== false && i.denies && i.denies.v !== false);
	if (denied) {
		if (denied.selects === true && denied.denies.v === true) return no(`denied by ${denied.name}: ${denied.denies.why}`);
		return unknown(`maybe denied by ${denied.name}: ${denied.denies.why}`);
	}
	const allowing = items.find((i) => and3(i.selects, i.allows.v) === true);
	if (allowing) return yes(`allowed by ${allowing.name}: ${allowing.allows.why}`);
	if (isolated === false) return yes(open);
	const names = items.filter((i) => i.selects !== false).map((i) => i.name).join(", ");
	if (isolated === true && items.every((i) => and3(i.selects, i.allows.v) === false)) {
		const whys = items.filter((i) => i.selects === true).map((i) => i.allows.why).filter(Boolean);
		return no(`no rule of ${names} allows it${whys.length ? ` (${[...new Set(whys)].join("; ")})` : ""}`);
	}
	const why = items.filter((i) => and3(i.selects, i.allows.v) === null).map((i) => `${i.name}: ${i.allows.why || "selection unknown"}`);
	return unknown(`undecided: ${why.join("; ") || `whether ${names} select it`}`);
}

// anyOf(answers, none): the first true answer, else an unknown one, else
// false with the reason none (or the answers' reasons).
export function anyOf(answers, none) {
	const t = answers.find((a) => a.v === true);
	if (t) return t;
	const u = answers.find((a) => a.v === null);
	if (u) return u;
	return no(none ?? [...new Set(answers.map((a) => a.why).filter(Boolean))].join("; "));
}

// allOf(answers): true when all are, else the first false, else unknown.
export function allOf(answers) {
	const f = answers.find((a) => a.v === false);
	if (f) return f;
	const u = answers.find((a) => a.v === null);
	if (u) return u;
	return yes(answers.map((a) => a.why).filter(Boolean).join(", "));
}
