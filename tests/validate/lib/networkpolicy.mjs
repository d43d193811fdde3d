// networking.k8s.io/v1 NetworkPolicy: kubernetes-models' schema, the API
// server's own rules (k8s.io/kubernetes pkg/apis/networking/validation,
// which the schema does not carry), and unknown fields.
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { modelProblems } from "./models.mjs";
import { ANY, LABEL_SELECTOR, OBJECT_META, unknownFields } from "./fields.mjs";
import { checkLabelSelector, checkMetadata, isIanaSvcName } from "./k8s.mjs";
import { parseCIDR, cidrWithin } from "./net.mjs";
import { at, isObject } from "./problems.mjs";

export const TAG_MODEL = " [kubernetes-models]";
export const TAG_API = " [API server]";
export const TAG_FIELDS = " [strict fields]";
export const TAG_OURS = " [netpol-record]";

const PORT = { protocol: ANY, port: ANY, endPort: ANY };
const PEER = {
	podSelector: LABEL_SELECTOR, namespaceSelector: LABEL_SELECTOR,
	ipBlock: { cidr: ANY, except: ANY },
};
const SHAPE = {
	apiVersion: ANY, kind: ANY, metadata: OBJECT_META, status: ANY,
	spec: {
		podSelector: LABEL_SELECTOR, policyTypes: ANY,
		ingress: [{ from: [PEER], ports: [PORT] }],
		egress: [{ to: [PEER], ports: [PORT] }],
	},
};

function checkPort(port, path, problems) {
	if (!isObject(port)) return;
	const p = port.port;
	if (typeof p === "number") {
		if (!Number.isInteger(p) || p < 1 || p > 65535) problems.add(at(path, "port"), `${p} is not a port number (1-65535)${TAG_API}`);
	} else if (typeof p === "string") {
		if (!isIanaSvcName(p)) problems.add(at(path, "port"), `"${p}" is neither a number nor a named port (IANA service name: at most 15 lowercase letters, digits, '-')${TAG_API}`);
	}
	if (port.endPort === undefined) return;
	if (typeof p !== "number") {
		problems.add(at(path, "endPort"), `may only be set with a numeric port${TAG_API}`);
	} else if (!Number.isInteger(port.endPort) || port.endPort < p || port.endPort > 65535) {
		problems.add(at(path, "endPort"), `${port.endPort} must be at least port (${p}) and at most 65535${TAG_API}`);
	}
}

function checkIPBlock(block, path, problems) {
	if (!isObject(block)) return;
	const cidr = parseCIDR(block.cidr);
	if (!cidr) {
		problems.add(at(path, "cidr"), `${JSON.stringify(block.cidr)} is not a CIDR (address/prefix length)${TAG_API}`);
		return;
	}
	if (!cidr.canonical) problems.add(at(path, "cidr"), `"${block.cidr}" has host bits set: write the network address${TAG_OURS}`);
	(Array.isArray(block.except) ? block.except : []).forEach((text, i) => {
		const ex = parseCIDR(text);
		const p = at(at(path, "except"), i);
		if (!ex) problems.add(p, `${JSON.stringify(text)} is not a CIDR${TAG_API}`);
		else if (!cidrWithin(ex, cidr) || ex.bits === cidr.bits)
			problems.add(p, `"${text}" must be a strict subset of cidr "${block.cidr}"${TAG_API}`);
	});
}

function checkPeer(peer, path, problems) {
	if (!isObject(peer)) return;
	const set = ["podSelector", "namespaceSelector", "ipBlock"].filter((k) => peer[k] !== undefined && peer[k] !== null);
	if (set.length === 0) problems.add(path, `must specify a peer: podSelector, namespaceSelector and/or ipBlock${TAG_API}`);
	if (peer.ipBlock && set.length > 1) problems.add(path, `ipBlock cannot be combined with podSelector or namespaceSelector in one peer${TAG_API}`);
	checkLabelSelector(peer.podSelector, at(path, "podSelector"), problems);
	checkLabelSelector(peer.namespaceSelector, at(path, "namespaceSelector"), problems);
	if (peer.ipBlock) checkIPBlock(peer.ipBlock, at(path, "ipBlock"), problems);
}

function checkRules(rules, path, peersKey, problems) {
	if (!Array.isArray(rules)) return;
	rules.forEach((rule, i) => {
		const rp = at(path, i);
		if (!isObject(rule)) return;
		(Array.isArray(rule.ports) ? rule.ports : []).forEach((port, j) => checkPort(port, at(at(rp, "ports"), j), problems));
		(Array.isArray(rule[peersKey]) ? rule[peersKey] : []).forEach((peer, j) => checkPeer(peer, at(at(rp, peersKey), j), problems));
	});
}

// checkNetworkPolicySpec(spec, path, problems): the API server's rules.
function checkNetworkPolicySpec(spec, path, problems) {
	if (!isObject(spec)) {
		problems.add(path, `missing: a NetworkPolicy needs spec.podSelector${TAG_API}`);
		return;
	}
	if (spec.podSelector === undefined || spec.podSelector === null)
		problems.add(at(path, "podSelector"), `missing: an absent podSelector selects every pod of the namespace; write {} if that is meant${TAG_OURS}`);
	checkLabelSelector(spec.podSelector, at(path, "podSelector"), problems);
	checkRules(spec.ingress, at(path, "ingress"), "from", problems);
	checkRules(spec.egress, at(path, "egress"), "to", problems);
	if (Array.isArray(spec.policyTypes)) {
		if (spec.policyTypes.length > 2) problems.add(at(path, "policyTypes"), `at most 2 entries (Ingress, Egress)${TAG_API}`);
		const seen = new Set();
		spec.policyTypes.forEach((t, i) => {
			if (seen.has(t)) problems.add(at(at(path, "policyTypes"), i), `duplicate "${t}"${TAG_API}`);
			seen.add(t);
		});
	}
}

// validateNetworkPolicy(obj, problems): every check of a NetworkPolicy.
export function validateNetworkPolicy(obj, problems) {
	modelProblems(NetworkPolicy, obj, problems, TAG_MODEL);
	unknownFields(obj, SHAPE, "", problems, {}, TAG_FIELDS);
	checkMetadata(obj.metadata, problems, { namespaced: true });
	checkNetworkPolicySpec(obj.spec, "spec", problems);
}

