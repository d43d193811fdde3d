// policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy (network-policy-api
// v0.2.0, experimental channel): the CRD's openAPIV3Schema, vendored in
// tests/fixtures/crd/, checked by Ajv; its CEL rules
// (x-kubernetes-validations) mirrored in JavaScript; the rules its field
// documentation states without CEL; the order between objects.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import YAML from "yaml";
import { ajvProblems } from "./models.mjs";
import { checkMetadata } from "./k8s.mjs";
import { parseCIDR } from "./net.mjs";
import { isObject } from "./problems.mjs";

const TAG_SCHEMA = " [CRD schema]";
const TAG_CEL = " [CRD rule]";
const TAG_DOC = " [API documentation]";
const TAG_OURS = " [netpol-record]";

export const CRD_PATH = fileURLToPath(new URL("../../fixtures/crd/policy.networking.k8s.io_clusternetworkpolicies.yaml", import.meta.url));
export const API_VERSION = "policy.networking.k8s.io/v1alpha2";

const list = (v) => (Array.isArray(v) ? v : []);
const has = (o, k) => isObject(o) && o[k] !== undefined;

// The CEL rules of the CRD, by their text (whitespace folded), as
// JavaScript. A rule the CRD has and this table does not is an error of
// the tooling (exit 2), so that a newer CRD cannot pass unchecked.
const CEL = new Map([
	["isCIDR(self)", (v) => typeof v !== "string" || parseCIDR(v) !== null],
	["self.start < self.end", (v) => !isObject(v) || typeof v.start !== "number" || typeof v.end !== "number" || v.start < v.end],
	["!(self.to.exists(peer, has(peer.networks) || has(peer.nodes) || has(peer.domainNames)) && has(self.protocols) && self.protocols.exists(protocol, has(protocol.destinationNamedPort)))",
		(rule) => !isObject(rule) || !(list(rule.to).some((p) => has(p, "networks") || has(p, "nodes") || has(p, "domainNames")) &&
			list(rule.protocols).some((pr) => has(pr, "destinationNamedPort")))],
]);

const fold = (s) => s.replace(/\s+/g, " ").trim();

// toJSONSchema(node): the structural schema as a JSON Schema: objects with
// declared properties accept no others (the API server's strict field
// validation); x-kubernetes-list-type set and map become unique items.
function toJSONSchema(node) {
	if (Array.isArray(node)) return node.map(toJSONSchema);
	if (!isObject(node)) return node;
	const out = {};
	for (const [k, v] of Object.entries(node)) {
		if (k === "description") continue;
		out[k] = k === "properties" ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, toJSONSchema(s)])) : toJSONSchema(v);
	}
	if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
	return out;
}

function celKeyword() {
	return {
		keyword: "x-kubernetes-validations",
		errors: true,
		compile(rules) {
			const checks = rules.map(({ rule, message }) => {
				const fn = CEL.get(fold(rule));
				if (!fn) throw new Error(`the CRD has a CEL rule the tooling does not implement: ${rule} (add it to CEL in lib/clusternetworkpolicy.mjs)`);
				return { fn, message };
			});
			const validate = (data) => {
				const failed = checks.filter(({ fn }) => !fn(data));
				validate.errors = failed.map(({ message }) => ({ keyword: "x-kubernetes-validations", message, params: { cel: true } }));
				return failed.length === 0;
			};
			return validate;
		},
	};
}

function listTypeKeyword() {
	return {
		keyword: "x-kubernetes-list-type",
		type: "array",
		errors: true,
		compile(kind, parent) {
			const keyOf = kind === "set" ? (item) => JSON.stringify(item)
				: kind === "map" ? (item) => JSON.stringify((parent["x-kubernetes-list-map-keys"] ?? []).map((k) => item?.[k]))
				: null;
			const validate = (data) => {
				if (!keyOf) return true;
				const seen = new Set();
				const dup = data.find((item) => seen.size === seen.add(keyOf(item)).size);
				validate.errors = dup === undefined ? [] : [{ keyword: "x-kubernetes-list-type", message: `duplicate value ${JSON.stringify(dup)} in a list of type ${kind}`, params: {} }];
				return dup === undefined;
			};
			return validate;
		},
	};
}

let compiled = null;

// schemaValidator(): the compiled Ajv validator of the CRD's v1alpha2
// schema (once per process).
export function schemaValidator() {
	if (compiled) return compiled;
	const crd = YAML.parse(readFileSync(CRD_PATH, "utf8"));
	const version = crd.spec.versions.find((v) => v.name === "v1alpha2");
	const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false });
	addFormats(ajv, ["date-time"]);
	ajv.addFormat("int32", { type: "number", validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
	ajv.addFormat("int64", { type: "number", validate: (n) => Number.isInteger(n) });
	ajv.addKeyword(celKeyword());
	ajv.addKeyword(listTypeKeyword());
	ajv.addKeyword({ keyword: "x-kubernetes-list-map-keys" });
	ajv.addKeyword({ keyword: "x-kubernetes-map-type" });
	compiled = ajv.compile(toJSONSchema(version.schema.openAPIV3Schema));
	return compiled;
}

function checkDomainNames(spec, problems) {
	list(spec.egress).forEach((rule, i) => {
		if (!isObject(rule) || rule.action === "Accept") return;
		list(rule.to).forEach((peer, j) => {
			if (has(peer, "domainNames"))
				problems.add(`spec.egress[${i}].to[${j}].domainNames`, `only supported in Accept rules (this rule's action is ${rule.action})${TAG_DOC}`);
		});
	});
	for (const dir of ["egress", "ingress"]) {
		const key = dir === "egress" ? "to" : "from";
		list(spec[dir]).forEach((rule, i) => list(rule?.[key]).forEach((peer, j) => list(peer?.networks).forEach((text, k) => {
			const c = parseCIDR(text);
			if (c && !c.canonical) problems.add(`spec.${dir}[${i}].${key}[${j}].networks[${k}]`, `"${text}" has host bits set: write the network address${TAG_OURS}`);
		})));
	}
}

// validateClusterNetworkPolicy(obj, problems): one object.
export function validateClusterNetworkPolicy(obj, problems) {
	const validate = schemaValidator();
	if (!validate(obj)) ajvProblems(validate.errors, problems, (err) => (err.params?.cel ? TAG_CEL : TAG_SCHEMA));
	checkMetadata(obj.metadata, problems, { namespaced: false });
	if (isObject(obj.spec)) checkDomainNames(obj.spec, problems);
}

// checkOrder(objects, report): across the objects of one input, two
// policies of a tier with the same priority whose subjects may overlap
// leave the order of their rules to the implementation. report(i, j,
// message) names the later object.
export function checkOrder(objects, report) {
	const selectsAll = (s) => isObject(s?.namespaces) && Object.keys(s.namespaces).length === 0;
	const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
	objects.forEach((a, i) => objects.slice(0, i).forEach((b, j) => {
		const sa = a.spec, sb = b.spec;
		if (!isObject(sa) || !isObject(sb) || sa.tier !== sb.tier || sa.priority !== sb.priority) return;
		if (same(sa.subject, sb.subject) || selectsAll(sa.subject) || selectsAll(sb.subject))
			report(i, j, `spec.priority: ${sa.priority} is also the priority of ${b.metadata?.name} in tier ${sa.tier} with an overlapping subject: their order is up to the implementation; give each a distinct priority${TAG_OURS}`);
	}));
}

