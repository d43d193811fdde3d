// Recorded flows, read from netpol-record's JSON report (`netpol-record
// report -o json`, schema version 1, cli/REPORT.md) or from a flows file of
// our own (kind NetpolRecordFlows, README.md) that can say what the report
// does not: pod addresses, container ports, namespace and node labels, the
// ICMP type, and the verdict a flow is expected to get.
//
// loadFlows([doc, ...]) -> the model every evaluator reads:
//   workloads  Map id -> {id, namespace, kind, name, hostNetwork,
//                         labels: label set (selector.mjs), addresses: [ip],
//                         ports: [{name, port, protocol}] | null (unknown)}
//   namespaces Map name -> label set
//   nodes      Map name -> {name, addresses, labels: label set, local}
//   names      Map address text -> Set of DNS names resolved to it
//   resolved   Set of every name a pod resolved (normalized)
//   podCIDRs   [cidr] (parsed)
//   flows      [{src, dst, protocol, port, icmpType, dnsName, service,
//                expect, note}], expect: "allowed", "denied" or
//                {format: verdict}; src/dst = {type: "workload", workload} |
//                {type: "address"|"node"|"unknown", address, ip, node}
// Errors throw with what is wrong and where.
import { parseCIDR, parseIP, formatIP } from "./net.mjs";
import { UNKNOWN_LABELS } from "./selector.mjs";
import { isObject } from "./problems.mjs";

export const FLOWS_KIND = "NetpolRecordFlows";
export const REPORT_KIND = "NetpolRecordReport";

const PROTOCOLS = new Map([["TCP", "TCP"], ["UDP", "UDP"], ["SCTP", "SCTP"], ["ICMP", "ICMP"], ["ICMPV6", "ICMPv6"]]);
const ECHO_REQUEST = { ICMP: 8, ICMPv6: 128 };

// normName(name): a DNS name compared: lowercase, no trailing dot.
export const normName = (n) => String(n).toLowerCase().replace(/\.$/, "");

// addrKey(text): an address as one spelling (2001:DB8::1 = 2001:db8::1).
export const addrKey = (text) => {
	const ip = parseIP(text);
	return ip ? formatIP(ip) : String(text);
};

function newModel() {
	return {
		workloads: new Map(), namespaces: new Map(), nodes: new Map(), names: new Map(),
		resolved: new Set(), podCIDRs: [], flows: [],
	};
}

// namespaceLabels(model, ns): the labels Kubernetes always sets, or those
// the flows file gives (complete then).
export function namespaceLabels(model, ns) {
	if (!model.namespaces.has(ns)) model.namespaces.set(ns, { labels: { "kubernetes.io/metadata.name": ns }, complete: false });
	return model.namespaces.get(ns);
}

function addName(model, address, name) {
	if (!name) return;
	const n = normName(name);
	model.resolved.add(n);
	if (!address) return;
	const key = addrKey(address);
	if (!model.names.has(key)) model.names.set(key, new Set());
	model.names.get(key).add(n);
}

function protocolOf(p, where) {
	if (typeof p === "number" && Number.isInteger(p)) return p;
	const v = PROTOCOLS.get(String(p).toUpperCase());
	if (!v) throw new Error(`${where}: protocol ${JSON.stringify(p)} is not TCP, UDP, SCTP, ICMP, ICMPv6 or a number`);
	return v;
}

function addressEnd(type, address, node) {
	const ip = address ? parseIP(address) : null;
	return { type, address: address ?? "", ip, node: node ?? null };
}

function workloadEnd(model, id) {
	return { type: "workload", workload: model.workloads.get(id) };
}

// The flow key: a connection seen from both ends is evaluated once.
const flowKey = (f) => JSON.stringify([endKey(f.src), endKey(f.dst), f.protocol, f.port, f.icmpType ?? null]);
const endKey = (e) => (e.type === "workload" ? e.workload.id : `${e.type}:${e.address}`);

function pushFlow(model, flow, seen) {
	const key = flowKey(flow);
	const prev = seen.get(key);
	if (prev) {
		if (!prev.dnsName && flow.dnsName) prev.dnsName = flow.dnsName;
		if (!prev.service && flow.service) prev.service = flow.service;
		return;
	}
	seen.set(key, flow);
	model.flows.push(flow);
}

// --- netpol-record report -o json, schema version 1 -------------------

function reportWorkload(model, w) {
	const id = w.id ?? `${w.namespace}/${w.kind}/${w.name}`;
	model.workloads.set(id, {
		id, namespace: w.namespace, kind: w.kind, name: w.name, hostNetwork: Boolean(w.hostNetwork),
		labels: { labels: isObject(w.labels) ? w.labels : {}, complete: true },
		addresses: [], ports: null, recorded: true,
	});
}

// A peer workload outside the report's scope: known by name only.
function stubWorkload(model, peer) {
	const id = peer.id ?? `${peer.namespace}/${peer.kind}/${peer.name}`;
	if (!model.workloads.has(id))
		model.workloads.set(id, { id, namespace: peer.namespace, kind: peer.kind, name: peer.name, hostNetwork: false,
			labels: UNKNOWN_LABELS, addresses: [], ports: null, recorded: false });
	return id;
}

function reportPeer(model, peer, where) {
	if (!isObject(peer)) throw new Error(`${where}: peer missing`);
	if (peer.type === "workload") return workloadEnd(model, stubWorkload(model, peer));
	if (peer.type === "address" || peer.type === "node" || peer.type === "unknown") {
		if (peer.type === "node") {
			const name = `node ${peer.address}`;
			if (!model.nodes.has(name)) model.nodes.set(name, { name, addresses: [peer.address], labels: UNKNOWN_LABELS, local: null });
			return addressEnd("node", peer.address, model.nodes.get(name));
		}
		return addressEnd(peer.type, peer.address);
	}
	throw new Error(`${where}: peer type ${JSON.stringify(peer.type)} is not workload, address, node or unknown`);
}

function loadReport(report, model) {
	if (report.schemaVersion !== 1) throw new Error(`report schemaVersion ${report.schemaVersion}: this tool reads version 1`);
	for (const c of report.clusterRanges?.podCIDRs ?? []) model.podCIDRs.push(parseCIDR(c));
	const namespaces = report.namespaces ?? [];
	for (const ns of namespaces) for (const w of ns.workloads ?? []) reportWorkload(model, w);
	for (const a of report.addresses ?? []) for (const n of a.dnsNames ?? []) addName(model, a.address, n);
	const seen = new Map();
	for (const ns of namespaces) for (const w of ns.workloads ?? []) {
		const self = workloadEnd(model, w.id ?? `${w.namespace}/${w.kind}/${w.name}`);
		for (const dir of ["egress", "ingress"]) (w[dir] ?? []).forEach((f, i) => {
			const where = `${self.workload.id} ${dir}[${i}]`;
			const peer = reportPeer(model, f.peer, where);
			const protocol = protocolOf(f.protocol, where);
			if (dir === "egress") addName(model, peer.address, f.dnsName);
			pushFlow(model, {
				src: dir === "egress" ? self : peer, dst: dir === "egress" ? peer : self,
				protocol, port: f.port ?? 0, icmpType: ECHO_REQUEST[protocol] ?? null,
				dnsName: f.dnsName ? normName(f.dnsName) : "", service: f.service ?? null,
				expect: "allowed", note: "",
			}, seen);
		});
	}
	return model;
}

// --- our own flows file -----------------------------------------------

function ownEnd(model, ref, where) {
	if (typeof ref === "string") {
		if (!model.workloads.has(ref)) throw new Error(`${where}: workload ${ref} is not in workloads (write NAMESPACE/KIND/NAME)`);
		return workloadEnd(model, ref);
	}
	if (isObject(ref) && typeof ref.node === "string") {
		const node = model.nodes.get(ref.node);
		if (!node) throw new Error(`${where}: node ${ref.node} is not in nodes`);
		return addressEnd("node", ref.address ?? node.addresses[0], node);
	}
	if (isObject(ref) && typeof ref.address === "string") {
		const ip = parseIP(ref.address);
		if (!ip) throw new Error(`${where}: ${JSON.stringify(ref.address)} is not an IP address`);
		// An address of a known pod or node is that pod or node, as the
		// recorder attributes it.
		const same = (a) => (typeof a === "string" ? parseIP(a) : a)?.value === ip.value && (typeof a === "string" ? parseIP(a) : a)?.family === ip.family;
		for (const w of model.workloads.values()) if (w.addresses.some(same)) return workloadEnd(model, w.id);
		for (const n of model.nodes.values()) if (n.addresses.some(same)) return addressEnd("node", ref.address, n);
		return addressEnd("address", ref.address);
	}
	throw new Error(`${where}: an end is "NAMESPACE/KIND/NAME", {"address": IP} or {"node": NAME}`);
}

// loadOwn(doc, model): our flows file, alone or on top of a report: a
// workload already known (by NAMESPACE/KIND/NAME) gets the addresses,
// container ports and labels the file gives; everything else is added.
function loadOwn(doc, model) {
	if (doc.version !== 1) throw new Error(`${FLOWS_KIND} version ${doc.version}: this tool reads version 1`);
	for (const c of doc.podCIDRs ?? []) {
		const cidr = parseCIDR(c);
		if (!cidr) throw new Error(`podCIDRs: ${JSON.stringify(c)} is not a CIDR`);
		model.podCIDRs.push(cidr);
	}
	for (const ns of doc.namespaces ?? [])
		model.namespaces.set(ns.name, { labels: { ...(ns.labels ?? {}), "kubernetes.io/metadata.name": ns.name }, complete: true });
	for (const n of doc.nodes ?? [])
		model.nodes.set(n.name, { name: n.name, addresses: n.addresses ?? [], labels: n.labels ? { labels: n.labels, complete: true } : UNKNOWN_LABELS, local: n.local ?? null });
	for (const w of doc.workloads ?? []) {
		const id = `${w.namespace}/${w.kind}/${w.name}`;
		for (const a of w.addresses ?? []) if (!parseIP(a)) throw new Error(`workload ${id}: ${JSON.stringify(a)} is not an IP address`);
		const prev = model.workloads.get(id);
		// Update in place: the report's flows hold these objects.
		const target = prev ?? { id, namespace: w.namespace, kind: w.kind, name: w.name, hostNetwork: false,
			labels: { labels: {}, complete: true }, addresses: [], ports: null };
		if (w.hostNetwork !== undefined || !prev) target.hostNetwork = Boolean(w.hostNetwork);
		if (w.labels !== undefined || !prev) target.labels = { labels: w.labels ?? {}, complete: true };
		if (w.addresses !== undefined) target.addresses = w.addresses.map(parseIP);
		if (Array.isArray(w.ports)) target.ports = w.ports.map((p) => ({ ...p, protocol: p.protocol ?? "TCP" }));
		target.recorded = true;
		model.workloads.set(id, target);
	}
	for (const n of doc.names ?? []) for (const a of n.addresses ?? [null]) addName(model, a, n.name);
	const seen = new Map(model.flows.map((f) => [flowKey(f), f]));
	(doc.flows ?? []).forEach((f, i) => {
		const where = `flows[${i}]`;
		const src = ownEnd(model, f.from, `${where}.from`);
		const dst = ownEnd(model, f.to, `${where}.to`);
		const protocol = protocolOf(f.protocol ?? "TCP", where);
		const verdicts = isObject(f.expect) ? Object.values(f.expect) : f.expect === undefined ? [] : [f.expect];
		if (!verdicts.every((v) => v === "allowed" || v === "denied"))
			throw new Error(`${where}: expect is "allowed", "denied", or a map from format to one of them`);
		addName(model, dst.address, f.dnsName);
		pushFlow(model, {
			src, dst, protocol, port: f.port ?? 0,
			icmpType: f.icmpType ?? ECHO_REQUEST[protocol] ?? null,
			dnsName: f.dnsName ? normName(f.dnsName) : "", service: f.service ?? null,
			expect: f.expect ?? "allowed", note: f.note ?? "",
		}, seen);
	});
	return model;
}

// loadFlows(docs): the model of a report or of our flows file, with more
// of our flows files on top (say what the report does not: pod
// addresses, container ports, every name resolved to an address).
export function loadFlows(docs) {
	const model = newModel();
	docs.forEach((doc, i) => {
		if (!isObject(doc)) throw new Error("a flows file is not a JSON object");
		if (doc.kind === REPORT_KIND && i === 0) loadReport(doc, model);
		else if (doc.kind === FLOWS_KIND) loadOwn(doc, model);
		else if (doc.kind === REPORT_KIND) throw new Error(`only the first flows file may be a ${REPORT_KIND}`);
		else throw new Error(`kind ${JSON.stringify(doc.kind)}: expected ${REPORT_KIND} (netpol-record report -o json) or ${FLOWS_KIND}`);
	});
	return model;
}

// namesOf(model, flow): the names the destination address was resolved
// from: the flow's own and every name any pod resolved to that address
// (Cilium's and the domainNames implementations' address sets are per
// name, not per pod).
export function namesOf(model, flow) {
	const out = new Set();
	if (flow.dnsName) out.add(flow.dnsName);
	if (flow.dst.address) for (const n of model.names.get(addrKey(flow.dst.address)) ?? []) out.add(n);
	return out;
}

// describeEnd(end), describeFlow(flow): for messages.
export function describeEnd(e) {
	if (e.type === "workload") return e.workload.id;
	if (e.type === "node") return `node ${e.address}`;
	return e.address || "(unknown address)";
}

export function describeFlow(f) {
	const port = f.protocol === "ICMP" || f.protocol === "ICMPv6" ? `${f.protocol} type ${f.icmpType}` : `${f.protocol}/${f.port}`;
	const extra = [f.dnsName ? `dns ${f.dnsName}` : "", f.service ? `via Service ${f.service.address}:${f.service.port}` : ""].filter(Boolean).join(", ");
	return `${describeEnd(f.src)} -> ${describeEnd(f.dst)} ${port}${extra ? ` (${extra})` : ""}`;
}

// probeFlows(model, ns, workloads): flows between each given workload and
// a made-up pod of namespace ns that nothing ever talked to, on the
// protocols and ports the workload used (TCP/80 when it used none): all
// must be denied.
export function probeFlows(model, ns, workloads) {
	const id = `${ns}/Deployment/netpol-record-probe`;
	if (!model.workloads.has(id)) {
		model.namespaces.set(ns, { labels: { "kubernetes.io/metadata.name": ns }, complete: true });
		model.workloads.set(id, { id, namespace: ns, kind: "Deployment", name: "netpol-record-probe", hostNetwork: false,
			labels: { labels: { app: "netpol-record-probe" }, complete: true }, addresses: [], ports: [], recorded: false });
	}
	const probe = workloadEnd(model, id);
	const out = [];
	for (const w of workloads) {
		const self = workloadEnd(model, w.id);
		for (const [dir, pick] of [["egress", (f) => f.src], ["ingress", (f) => f.dst]]) {
			const used = new Map();
			// The recorded flows (expected allowed), not the made-up ones.
			for (const f of model.flows) if (f.expect === "allowed" && pick(f).type === "workload" && pick(f).workload === w && typeof f.protocol === "string")
				used.set(`${f.protocol}/${f.port}`, f);
			if (used.size === 0) used.set("TCP/80", { protocol: "TCP", port: 80, icmpType: null });
			for (const f of used.values())
				out.push({ src: dir === "egress" ? self : probe, dst: dir === "egress" ? probe : self,
					protocol: f.protocol, port: f.port, icmpType: f.icmpType, dnsName: "", service: null,
					expect: "denied", note: `namespace ${ns} was never talked to` });
		}
	}
	return out;
}
