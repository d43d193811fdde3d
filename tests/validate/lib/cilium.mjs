// cilium.io/v2 CiliumNetworkPolicy: @kubernetes-models/cilium's schema
// (generated from Cilium's Go types), unknown fields, and the rules
// cilium-agent applies when it imports a policy (pkg/policy/api,
// Rule.Sanitize): an object the API server stores but the agent refuses
// enforces nothing, so those are errors here too.
import { CiliumNetworkPolicy } from "@kubernetes-models/cilium/cilium.io/v2/CiliumNetworkPolicy";
import { modelProblems } from "./models.mjs";
import { ANY, LABEL_SELECTOR, OBJECT_META, unknownFields } from "./fields.mjs";
import { checkLabelSelector, checkMetadata, isIanaSvcName, isQualifiedName } from "./k8s.mjs";
import { cidrContains, parseCIDR, parseIP } from "./net.mjs";
import { at, isObject } from "./problems.mjs";

const TAG_MODEL = " [@kubernetes-models/cilium]";
const TAG_FIELDS = " [strict fields]";
const TAG_AGENT = " [cilium-agent]";
const TAG_OURS = " [netpol-record]";

const MAX_PORTS = 40;
const MAX_ICMP_FIELDS = 40;

const PORT_PROTOCOL = { port: ANY, endPort: ANY, protocol: ANY };
const FQDN = { matchName: ANY, matchPattern: ANY };
const PORT_RULE = {
	ports: [PORT_PROTOCOL], rules: { dns: [FQDN], http: ANY, kafka: ANY, l7: ANY, l7proto: ANY },
	listener: ANY, originatingTLS: ANY, terminatingTLS: ANY, serverNames: ANY,
};
const PORT_DENY_RULE = { ports: [PORT_PROTOCOL] };
const ICMP_RULE = { fields: [{ family: ANY, type: ANY }] };
const CIDR_RULE = { cidr: ANY, cidrGroupRef: ANY, cidrGroupSelector: LABEL_SELECTOR, except: ANY };
const EGRESS_COMMON = {
	toCIDR: ANY, toCIDRSet: [CIDR_RULE], toEndpoints: [LABEL_SELECTOR], toEntities: ANY,
	toGroups: ANY, toNodes: [LABEL_SELECTOR], toRequires: [LABEL_SELECTOR], toServices: ANY,
};
const INGRESS_COMMON = {
	fromCIDR: ANY, fromCIDRSet: [CIDR_RULE], fromEndpoints: [LABEL_SELECTOR], fromEntities: ANY,
	fromGroups: ANY, fromNodes: [LABEL_SELECTOR], fromRequires: [LABEL_SELECTOR],
};
const RULE = {
	description: ANY, labels: ANY, log: ANY, enableDefaultDeny: { egress: ANY, ingress: ANY },
	endpointSelector: LABEL_SELECTOR, nodeSelector: LABEL_SELECTOR,
	ingress: [{ ...INGRESS_COMMON, authentication: ANY, icmps: [ICMP_RULE], toPorts: [PORT_RULE] }],
	ingressDeny: [{ ...INGRESS_COMMON, icmps: [ICMP_RULE], toPorts: [PORT_DENY_RULE] }],
	egress: [{ ...EGRESS_COMMON, authentication: ANY, icmps: [ICMP_RULE], toFQDNs: [FQDN], toPorts: [PORT_RULE] }],
	egressDeny: [{ ...EGRESS_COMMON, icmps: [ICMP_RULE], toPorts: [PORT_DENY_RULE] }],
};
const SHAPE = { apiVersion: ANY, kind: ANY, metadata: OBJECT_META, spec: RULE, specs: [RULE], status: ANY };
const HINTS = {
	toFQDN: "the field is toFQDNs", toCIDRs: "the field is toCIDR", fromCIDRs: "the field is fromCIDR",
	toEntity: "the field is toEntities", fromEntity: "the field is fromEntities",
	icmp: "the field is icmps", toPort: "the field is toPorts", endpointSelectors: "the field is endpointSelector",
};

// The members that say who the peer is; cilium-agent refuses two in one rule.
const L3_EGRESS = ["toCIDR", "toCIDRSet", "toEndpoints", "toEntities", "toServices", "toFQDNs", "toGroups", "toNodes"];
const L3_INGRESS = ["fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes", "fromGroups"];

// A label key in a Cilium selector: an optional source ("k8s:", "any:",
// "reserved:", ...) and a Kubernetes label key.
export const isCiliumLabelKey = (k) => typeof k === "string" && isQualifiedName(k.replace(/^[a-z0-9-]+:/, ""));

const list = (v) => (Array.isArray(v) ? v : []);

function checkPortProtocol(pp, path, hasDNS, problems) {
	if (!isObject(pp)) return { zero: false };
	const port = pp.port;
	if (port === undefined || port === "") {
		problems.add(at(path, "port"), `must be specified${TAG_AGENT}`);
		return { zero: false };
	}
	if (typeof port !== "string") return { zero: false }; // the schema says so
	if (isIanaSvcName(port)) return { zero: false };
	if (!/^(0|[1-9][0-9]{0,4})$/.test(port) || Number(port) > 65535) {
		problems.add(at(path, "port"), `"${port}" is neither a decimal port (0-65535) nor a port name${TAG_AGENT}`);
		return { zero: false };
	}
	const n = Number(port);
	if (pp.endPort !== undefined && pp.endPort !== 0) {
		if (hasDNS && pp.endPort > n) problems.add(at(path, "endPort"), `DNS rules do not support port ranges${TAG_AGENT}`);
		else if (!Number.isInteger(pp.endPort) || pp.endPort < n || pp.endPort > 65535)
			problems.add(at(path, "endPort"), `${pp.endPort} must be at least port (${n}) and at most 65535${TAG_AGENT}`);
	}
	return { zero: n === 0 };
}

function checkPortRule(pr, path, ingress, problems) {
	if (!isObject(pr)) return;
	const rules = isObject(pr.rules) ? pr.rules : null;
	const hasDNS = rules !== null && list(rules.dns).length > 0;
	const l7Kinds = rules ? ["http", "kafka", "dns", "l7proto"].filter((k) => rules[k] !== undefined && rules[k] !== null) : [];
	if (ingress && hasDNS) problems.add(at(path, "rules.dns"), `DNS rules are not allowed on ingress${TAG_AGENT}`);
	const ports = list(pr.ports);
	if (ports.length > MAX_PORTS) problems.add(at(path, "ports"), `too many ports, the max is ${MAX_PORTS}${TAG_AGENT}`);
	let zero = false;
	ports.forEach((pp, i) => {
		const p = at(at(path, "ports"), i);
		zero = checkPortProtocol(pp, p, hasDNS, problems).zero || zero;
		const proto = isObject(pp) ? (pp.protocol ?? "ANY") : "ANY";
		if (l7Kinds.length > 0 && !hasDNS && proto !== "TCP")
			problems.add(at(p, "protocol"), `L7 rules can only apply to TCP (not ${proto}) except for DNS rules${TAG_AGENT}`);
	});
	if (l7Kinds.length === 0) return;
	if (zero) problems.add(at(path, "rules"), `L7 rules can not be used when a port is 0${TAG_AGENT}`);
	if (hasDNS && ports.length === 0) problems.add(at(path, "rules.dns"), `Port 53 must be specified for DNS rules${TAG_AGENT}`);
	if (l7Kinds.length > 1) problems.add(at(path, "rules"), `multiple L7 protocol rule types specified in single rule${TAG_AGENT}`);
}

function checkICMPRule(rule, path, problems) {
	if (!isObject(rule)) return;
	const fields = list(rule.fields);
	if (fields.length > MAX_ICMP_FIELDS) problems.add(at(path, "fields"), `too many types, the max is ${MAX_ICMP_FIELDS}${TAG_AGENT}`);
	fields.forEach((f, i) => {
		if (isObject(f) && typeof f.type === "number" && (!Number.isInteger(f.type) || f.type < 0 || f.type > 255))
			problems.add(at(at(path, "fields"), i), `type ${f.type} is not an 8-bit ICMP type${TAG_AGENT}`);
	});
}

function checkCIDRs(cidrs, path, problems) {
	list(cidrs).forEach((text, i) => {
		if (typeof text === "string" && !parseCIDR(text) && !parseIP(text))
			problems.add(at(path, i), `unable to parse CIDR "${text}"${TAG_AGENT}`);
	});
}

function checkCIDRSet(set, path, problems) {
	list(set).forEach((rule, i) => {
		const p = at(path, i);
		if (!isObject(rule) || rule.cidrGroupRef) return;
		const cidr = parseCIDR(rule.cidr);
		if (!cidr) return problems.add(at(p, "cidr"), `unable to parse CIDRRule "${rule.cidr}"${TAG_AGENT}`);
		list(rule.except).forEach((text, j) => {
			const ex = parseCIDR(text);
			if (!ex) problems.add(at(at(p, "except"), j), `unable to parse "${text}"${TAG_AGENT}`);
			else if (!cidrContains(cidr, { family: ex.family, value: ex.value }))
				problems.add(at(at(p, "except"), j), `allow CIDR prefix ${rule.cidr} does not contain exclude CIDR prefix ${text}${TAG_AGENT}`);
		});
	});
}

function checkRuleList(rules, path, l3Keys, ingress, problems) {
	list(rules).forEach((r, i) => {
		const p = at(path, i);
		if (!isObject(r)) return;
		const l3 = l3Keys.filter((k) => list(r[k]).length > 0);
		if (l3.length > 1) problems.add(p, `Combining ${l3[0]} and ${l3[1]} is not supported yet${TAG_AGENT}`);
		if (list(r.toServices).length > 0 && list(r.toPorts).length > 0)
			problems.add(p, `Combining toServices and toPorts is not supported yet${TAG_AGENT}`);
		if (list(r.icmps).length > 0 && list(r.toPorts).length > 0)
			problems.add(p, `The ICMPs block may only be present without toPorts: define a separate rule to use toPorts${TAG_AGENT}`);
		list(r.toPorts).forEach((pr, j) => checkPortRule(pr, at(at(p, "toPorts"), j), ingress, problems));
		list(r.icmps).forEach((ir, j) => checkICMPRule(ir, at(at(p, "icmps"), j), problems));
		for (const k of ["toEndpoints", "fromEndpoints", "toRequires", "fromRequires", "toNodes", "fromNodes"])
			list(r[k]).forEach((sel, j) => checkLabelSelector(sel, at(at(p, k), j), problems, isCiliumLabelKey));
		checkCIDRs(r.toCIDR, at(p, "toCIDR"), problems);
		checkCIDRs(r.fromCIDR, at(p, "fromCIDR"), problems);
		checkCIDRSet(r.toCIDRSet, at(p, "toCIDRSet"), problems);
		checkCIDRSet(r.fromCIDRSet, at(p, "fromCIDRSet"), problems);
	});
}

// hasDNSRule(rule): does a rule let Cilium's DNS proxy see lookups?
export const hasDNSRule = (rule) => list(rule?.egress).some((e) =>
	list(e?.toPorts).some((pr) => list(pr?.rules?.dns).length > 0));

function checkRule(rule, path, problems) {
	if (!isObject(rule)) return;
	// Exactly one of endpointSelector and nodeSelector, and at least one of
	// the four rule lists present: the model's schema says so.
	checkLabelSelector(rule.endpointSelector, at(path, "endpointSelector"), problems, isCiliumLabelKey);
	checkLabelSelector(rule.nodeSelector, at(path, "nodeSelector"), problems, isCiliumLabelKey);
	checkRuleList(rule.ingress, at(path, "ingress"), L3_INGRESS, true, problems);
	checkRuleList(rule.ingressDeny, at(path, "ingressDeny"), L3_INGRESS, true, problems);
	checkRuleList(rule.egress, at(path, "egress"), L3_EGRESS, false, problems);
	checkRuleList(rule.egressDeny, at(path, "egressDeny"), L3_EGRESS, false, problems);
	const lists = ["ingress", "ingressDeny", "egress", "egressDeny"];
	if (lists.some((k) => rule[k] !== undefined) && !lists.some((k) => list(rule[k]).length > 0))
		problems.add(path, `every rule list is empty: a rule needs ingress, ingressDeny, egress or egressDeny rules, without any it enforces nothing (cilium-agent 1.17 and later refuse it)${TAG_AGENT}`);
	const fqdn = list(rule.egress).some((e) => list(e?.toFQDNs).length > 0);
	if (fqdn && !hasDNSRule(rule))
		problems.add(at(path, "egress"), `toFQDNs without a DNS rule: Cilium learns the addresses of a name only from lookups its DNS proxy sees; add an egress rule to the cluster DNS with toPorts[].rules.dns${TAG_OURS}`);
}

// validateCiliumNetworkPolicy(obj, problems): every check of the kind.
export function validateCiliumNetworkPolicy(obj, problems) {
	modelProblems(CiliumNetworkPolicy, obj, problems, TAG_MODEL);
	unknownFields(obj, SHAPE, "", problems, HINTS, TAG_FIELDS);
	checkMetadata(obj.metadata, problems, { namespaced: true });
	if (obj.spec === undefined && obj.specs === undefined) problems.add("spec", `missing: a CiliumNetworkPolicy needs spec or specs${TAG_AGENT}`);
	if (obj.spec !== undefined) checkRule(obj.spec, "spec", problems);
	list(obj.specs).forEach((r, i) => checkRule(r, at("specs", i), problems));
}
