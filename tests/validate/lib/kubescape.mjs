// Kubescape's kinds (spdx.softwarecomposition.kubescape.io/v1beta1) in the
// shapes of Kubescape's storage types (kubescape/storage,
// pkg/apis/softwarecomposition/v1beta1) and as the team documents them
// (the kubescape.io/workload-* labels, port names): no npm library
// models them, so the shape is checked here, field by field.
//
// NetworkNeighborhood (Kubescape's current kind): spec = label selector +
// containers/initContainers/ephemeralContainers [{name, ingress, egress}].
// NetworkNeighbors (the kind Kubescape removed; -o neighbors): spec =
// label selector + ingress + egress. Both hold NetworkNeighbor entries
// {identifier, type, dns, dnsNames?, ports, podSelector, namespaceSelector,
// ipAddress}: singular dns and ipAddress, which Kubescape's policy
// generator reads. GeneratedNetworkPolicy: spec is a whole NetworkPolicy,
// policyRef names the address rules.
import { ANY, LABEL_SELECTOR, MAP, OBJECT_META, unknownFields } from "./fields.mjs";
import { checkLabelSelector, checkMetadata, isDNS1123Label, isDNSName } from "./k8s.mjs";
import { validateNetworkPolicy } from "./networkpolicy.mjs";
import { cidrContains, parseCIDR, parseIP } from "./net.mjs";
import { at, isObject } from "./problems.mjs";

export const API_VERSION = "spdx.softwarecomposition.kubescape.io/v1beta1";

const TAG_STORAGE = " [Kubescape storage]";
const TAG_FIELDS = " [strict fields]";
const TAG_FORMATS = " [Kubescape format]";

const NEIGHBOR = {
	identifier: ANY, type: ANY, dns: ANY, dnsNames: ANY, ipAddress: ANY,
	podSelector: LABEL_SELECTOR, namespaceSelector: LABEL_SELECTOR,
	ports: [{ name: ANY, protocol: ANY, port: ANY }],
};
const CONTAINER = { name: ANY, ingress: [NEIGHBOR], egress: [NEIGHBOR] };
const TOP = { apiVersion: ANY, kind: ANY, metadata: OBJECT_META, status: ANY };
const SHAPES = {
	NetworkNeighborhood: { ...TOP, spec: { matchLabels: MAP, matchExpressions: LABEL_SELECTOR.matchExpressions, containers: [CONTAINER], initContainers: [CONTAINER], ephemeralContainers: [CONTAINER] } },
	NetworkNeighbors: { ...TOP, spec: { matchLabels: MAP, matchExpressions: LABEL_SELECTOR.matchExpressions, ingress: [NEIGHBOR], egress: [NEIGHBOR] } },
	GeneratedNetworkPolicy: { ...TOP, spec: ANY, policyRef: [{ ipBlock: ANY, originalIP: ANY, dns: ANY, name: ANY, server: ANY }] },
};
const HINTS = {
	ipAddresses: "entries have the singular ipAddress (one entry per address)",
	ip: "the field is ipAddress", dnsName: "the field is dns (and the optional list dnsNames)",
	policyRefs: "the field is policyRef", selector: "the selector is inline in spec (matchLabels, matchExpressions)",
};
const PROTOCOLS = new Set(["TCP", "UDP", "SCTP"]);
const WORKLOAD_LABELS = ["kubescape.io/workload-kind", "kubescape.io/workload-name", "kubescape.io/workload-namespace"];

const list = (v) => (Array.isArray(v) ? v : []);

function checkWorkloadLabels(meta, problems) {
	const labels = isObject(meta?.labels) ? meta.labels : {};
	for (const key of WORKLOAD_LABELS)
		if (typeof labels[key] !== "string" || labels[key] === "")
			problems.add(`metadata.labels.${key}`, `missing: Kubescape finds the workload by the kubescape.io/workload-* labels${TAG_FORMATS}`);
	const ns = labels["kubescape.io/workload-namespace"];
	if (ns && meta?.namespace && ns !== meta.namespace)
		problems.add("metadata.labels.kubescape.io/workload-namespace", `"${ns}" is not the object's namespace "${meta.namespace}"${TAG_FORMATS}`);
}

function requireString(obj, key, path, problems) {
	if (typeof obj[key] !== "string") problems.add(at(path, key), `required string${obj[key] === undefined ? " missing" : ""}${TAG_STORAGE}`);
}

function checkNeighbor(n, path, problems, seen) {
	if (!isObject(n)) return problems.add(path, `must be an object${TAG_STORAGE}`);
	for (const key of ["identifier", "type", "dns", "ipAddress"]) requireString(n, key, path, problems);
	for (const key of ["podSelector", "namespaceSelector"])
		if (!(key in n)) problems.add(at(path, key), `required (null when none)${TAG_STORAGE}`);
	if (!Array.isArray(n.ports)) problems.add(at(path, "ports"), `required list (empty when none)${TAG_STORAGE}`);
	if (n.identifier === "") problems.add(at(path, "identifier"), `must not be empty${TAG_STORAGE}`);
	else if (typeof n.identifier === "string") {
		if (seen.has(n.identifier)) problems.add(at(path, "identifier"), `"${n.identifier}" is used twice in this list: Kubescape merges entries by identifier${TAG_STORAGE}`);
		seen.add(n.identifier);
	}
	if (typeof n.type === "string" && n.type !== "internal" && n.type !== "external")
		problems.add(at(path, "type"), `"${n.type}" is neither internal nor external${TAG_STORAGE}`);
	if (n.type === "external") {
		if (typeof n.ipAddress === "string" && !parseIP(n.ipAddress))
			problems.add(at(path, "ipAddress"), `${JSON.stringify(n.ipAddress)} is not one IP address: an external entry names the address it reached${TAG_FORMATS}`);
		if (isObject(n.podSelector) || isObject(n.namespaceSelector))
			problems.add(path, `an external entry has no podSelector or namespaceSelector (null)${TAG_FORMATS}`);
	}
	if (n.type === "internal") {
		if (!isObject(n.podSelector) && !isObject(n.namespaceSelector))
			problems.add(path, `an internal entry needs a podSelector or a namespaceSelector${TAG_FORMATS}`);
		if (typeof n.ipAddress === "string" && n.ipAddress !== "" && !parseIP(n.ipAddress))
			problems.add(at(path, "ipAddress"), `${JSON.stringify(n.ipAddress)} is not an IP address${TAG_STORAGE}`);
	}
	if (typeof n.dns === "string" && n.dns !== "" && !isDNSName(n.dns)) problems.add(at(path, "dns"), `"${n.dns}" is not a DNS name${TAG_STORAGE}`);
	if (n.dnsNames !== undefined && n.dnsNames !== null) {
		if (!Array.isArray(n.dnsNames) || !n.dnsNames.every(isDNSName)) problems.add(at(path, "dnsNames"), `must be a list of DNS names${TAG_STORAGE}`);
		else if (n.dns && !n.dnsNames.includes(n.dns)) problems.add(at(path, "dns"), `"${n.dns}" is not among dnsNames${TAG_STORAGE}`);
	}
	checkLabelSelector(n.podSelector, at(path, "podSelector"), problems);
	checkLabelSelector(n.namespaceSelector, at(path, "namespaceSelector"), problems);
	list(n.ports).forEach((port, i) => {
		const p = at(at(path, "ports"), i);
		if (!isObject(port)) return problems.add(p, `must be {name, protocol, port}${TAG_STORAGE}`);
		if (!PROTOCOLS.has(port.protocol)) problems.add(at(p, "protocol"), `${JSON.stringify(port.protocol)} is not TCP, UDP or SCTP${TAG_STORAGE}`);
		if (!Number.isInteger(port.port) || port.port < 1 || port.port > 65535) problems.add(at(p, "port"), `${JSON.stringify(port.port)} is not a port number (1-65535)${TAG_STORAGE}`);
		else if (port.name !== `${port.protocol}-${port.port}`) problems.add(at(p, "name"), `${JSON.stringify(port.name)} should be "${port.protocol}-${port.port}" (protocol-port, the merge key)${TAG_FORMATS}`);
	});
}

function checkNeighborList(entries, path, problems) {
	if (!Array.isArray(entries)) return problems.add(path, `required list (empty when none)${TAG_STORAGE}`);
	const seen = new Set();
	entries.forEach((n, i) => checkNeighbor(n, at(path, i), problems, seen));
}

function checkSpecSelector(spec, problems) {
	checkLabelSelector({ matchLabels: spec.matchLabels, matchExpressions: spec.matchExpressions }, "spec", problems);
	if (!isObject(spec.matchLabels) && !Array.isArray(spec.matchExpressions))
		problems.add("spec.matchLabels", `missing: the workload's selector${TAG_FORMATS}`);
}

function validateNeighborhood(obj, problems) {
	const spec = obj.spec;
	if (!isObject(spec)) return problems.add("spec", `missing${TAG_STORAGE}`);
	checkSpecSelector(spec, problems);
	if (!Array.isArray(spec.containers) || spec.containers.length === 0)
		problems.add("spec.containers", `missing: a list of the workload's containers with their ingress and egress${TAG_STORAGE}`);
	for (const key of ["containers", "initContainers", "ephemeralContainers"]) {
		if (spec[key] !== undefined && spec[key] !== null && !Array.isArray(spec[key])) {
			problems.add(at("spec", key), `must be a list${TAG_STORAGE}`);
			continue;
		}
		const names = new Set();
		list(spec[key]).forEach((c, i) => {
			const p = at(at("spec", key), i);
			if (!isObject(c)) return problems.add(p, `must be {name, ingress, egress}${TAG_STORAGE}`);
			if (!isDNS1123Label(c.name)) problems.add(at(p, "name"), `${JSON.stringify(c.name)} is not a container name${TAG_STORAGE}`);
			else if (names.has(c.name)) problems.add(at(p, "name"), `"${c.name}" is listed twice${TAG_STORAGE}`);
			names.add(c.name);
			checkNeighborList(c.ingress, at(p, "ingress"), problems);
			checkNeighborList(c.egress, at(p, "egress"), problems);
		});
	}
}

function validateNeighbors(obj, problems) {
	const spec = obj.spec;
	if (!isObject(spec)) return problems.add("spec", `missing${TAG_STORAGE}`);
	checkSpecSelector(spec, problems);
	checkNeighborList(spec.ingress, "spec.ingress", problems);
	checkNeighborList(spec.egress, "spec.egress", problems);
}

// ipBlocksOf(np): every ipBlock.cidr of a NetworkPolicy.
function ipBlocksOf(np) {
	const out = [];
	for (const [dir, key] of [["ingress", "from"], ["egress", "to"]])
		for (const rule of list(np?.spec?.[dir])) for (const peer of list(rule?.[key]))
			if (isObject(peer?.ipBlock)) out.push(peer.ipBlock.cidr);
	return out;
}

function validateGenerated(obj, problems) {
	const np = obj.spec;
	if (!isObject(np)) return problems.add("spec", `missing: a whole networking.k8s.io/v1 NetworkPolicy${TAG_STORAGE}`);
	if (np.apiVersion !== "networking.k8s.io/v1" || np.kind !== "NetworkPolicy")
		problems.add("spec", `must be a networking.k8s.io/v1 NetworkPolicy (apiVersion and kind set)${TAG_FORMATS}`);
	validateNetworkPolicy(np, problems.within("spec"));
	if (np.metadata?.namespace !== obj.metadata?.namespace)
		problems.add("spec.metadata.namespace", `${JSON.stringify(np.metadata?.namespace)} is not the object's namespace ${JSON.stringify(obj.metadata?.namespace)}${TAG_FORMATS}`);
	if (np.metadata?.name !== obj.metadata?.name)
		problems.add("spec.metadata.name", `${JSON.stringify(np.metadata?.name)} is not the object's name ${JSON.stringify(obj.metadata?.name)}${TAG_FORMATS}`);
	const blocks = ipBlocksOf(np);
	if (obj.policyRef === undefined || obj.policyRef === null) return;
	if (!Array.isArray(obj.policyRef)) return problems.add("policyRef", `must be a list${TAG_STORAGE}`);
	obj.policyRef.forEach((ref, i) => {
		const p = at("policyRef", i);
		if (!isObject(ref)) return problems.add(p, `must be {ipBlock, originalIP, dns, name, server}${TAG_STORAGE}`);
		for (const key of ["ipBlock", "originalIP", "dns", "name", "server"]) requireString(ref, key, p, problems);
		const cidr = parseCIDR(ref.ipBlock);
		if (typeof ref.ipBlock === "string" && !cidr) problems.add(at(p, "ipBlock"), `"${ref.ipBlock}" is not a CIDR${TAG_STORAGE}`);
		else if (cidr && !blocks.includes(ref.ipBlock)) problems.add(at(p, "ipBlock"), `"${ref.ipBlock}" is not an ipBlock of spec: one entry per address rule${TAG_FORMATS}`);
		const ip = parseIP(ref.originalIP);
		if (typeof ref.originalIP === "string" && !ip) problems.add(at(p, "originalIP"), `${JSON.stringify(ref.originalIP)} is not an IP address${TAG_FORMATS}`);
		else if (ip && cidr && !cidrContains(cidr, ip)) problems.add(at(p, "originalIP"), `${ref.originalIP} is not in ipBlock ${ref.ipBlock}${TAG_FORMATS}`);
		if (typeof ref.dns === "string" && ref.dns !== "" && !isDNSName(ref.dns)) problems.add(at(p, "dns"), `"${ref.dns}" is not a DNS name${TAG_FORMATS}`);
	});
}

const BY_KIND = {
	NetworkNeighborhood: validateNeighborhood,
	NetworkNeighbors: validateNeighbors,
	GeneratedNetworkPolicy: validateGenerated,
};

// validateKubescape(obj, problems): one object of the three kinds.
export function validateKubescape(obj, problems) {
	unknownFields(obj, SHAPES[obj.kind], "", problems, HINTS, TAG_FIELDS);
	checkMetadata(obj.metadata, problems, { namespaced: true });
	checkWorkloadLabels(obj.metadata, problems);
	BY_KIND[obj.kind](obj, problems);
}

export const KUBESCAPE_KINDS = Object.keys(BY_KIND);
