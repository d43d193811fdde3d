// The API server's rules for names, labels, metadata and label selectors
// (k8s.io/apimachinery validation), for the objects whose library model
// does not check them.
import { at, isObject } from "./problems.mjs";

const API = " [API server]";
const OURS = " [netpol-record]";

const LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_PART_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export const isDNS1123Label = (s) => typeof s === "string" && s.length <= 63 && LABEL_RE.test(s);
export const isDNS1123Subdomain = (s) => typeof s === "string" && s.length <= 253 && SUBDOMAIN_RE.test(s);

// A label or annotation key: [prefix/]name.
export function isQualifiedName(s) {
	if (typeof s !== "string") return false;
	const parts = s.split("/");
	if (parts.length > 2) return false;
	const name = parts[parts.length - 1];
	if (parts.length === 2 && (parts[0] === "" || !isDNS1123Subdomain(parts[0]))) return false;
	return name.length <= 63 && NAME_PART_RE.test(name);
}

export const isLabelValue = (s) => typeof s === "string" && (s === "" || (s.length <= 63 && NAME_PART_RE.test(s)));

// An IANA service name, the form of a named port: at most 15 lowercase
// letters, digits and inner single hyphens, with at least one letter.
export const isIanaSvcName = (s) => typeof s === "string" && s.length >= 1 && s.length <= 15 &&
	/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes("--");

// A DNS name as netpol-record writes resolved names: labels of letters,
// digits, '-' and '_', an optional trailing dot.
export const isDNSName = (s) => typeof s === "string" && s.length <= 254 &&
	/^([A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?\.?$/.test(s);

// checkMetadata(meta, problems, {namespaced}): name, namespace, labels,
// annotations. namespaced: true requires metadata.namespace (netpol-record
// always writes it), false forbids it (a cluster-scoped kind).
export function checkMetadata(meta, problems, { namespaced }) {
	if (!isObject(meta)) {
		problems.add("metadata", `missing: every object needs metadata.name${API}`);
		return;
	}
	if (meta.name === undefined || meta.name === "") problems.add("metadata.name", `missing${API}`);
	else if (!isDNS1123Subdomain(meta.name))
		problems.add("metadata.name", `"${meta.name}" is not a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253)${API}`);
	if (namespaced) {
		if (meta.namespace === undefined || meta.namespace === "")
			problems.add("metadata.namespace", `missing: exported objects must name their namespace${OURS}`);
		else if (!isDNS1123Label(meta.namespace))
			problems.add("metadata.namespace", `"${meta.namespace}" is not a DNS-1123 label${API}`);
	} else if (meta.namespace !== undefined) {
		problems.add("metadata.namespace", `set on a cluster-scoped object: remove it${OURS}`);
	}
	checkStringMap(meta.labels, "metadata.labels", problems, true);
	checkStringMap(meta.annotations, "metadata.annotations", problems, false);
}

// checkStringMap(map, path, problems, labels): keys are qualified names;
// with labels, values are label values, else any string.
export function checkStringMap(map, path, problems, labels) {
	if (map === undefined || map === null) return;
	if (!isObject(map)) {
		problems.add(path, `must be a map of strings${API}`);
		return;
	}
	for (const [k, v] of Object.entries(map)) {
		if (!isQualifiedName(k)) problems.add(at(path, k), `key is not a qualified name ([prefix/]name, name at most 63 characters)${API}`);
		if (typeof v !== "string") problems.add(at(path, k), `value must be a string (quote numbers and booleans)${API}`);
		else if (labels && !isLabelValue(v)) problems.add(at(path, k), `"${v}" is not a valid label value${API}`);
	}
}

const OPERATORS = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);

// checkLabelSelector(sel, path, problems, keyOk): a metav1.LabelSelector.
// keyOk(key) decides which keys are allowed (Cilium adds source prefixes
// such as "k8s:"); the default is a qualified name.
export function checkLabelSelector(sel, path, problems, keyOk = isQualifiedName) {
	if (sel === undefined || sel === null) return;
	if (!isObject(sel)) {
		problems.add(path, `must be a label selector (matchLabels, matchExpressions)${API}`);
		return;
	}
	if (sel.matchLabels !== undefined) {
		if (!isObject(sel.matchLabels)) problems.add(at(path, "matchLabels"), `must be a map of strings${API}`);
		else for (const [k, v] of Object.entries(sel.matchLabels)) {
			const p = at(at(path, "matchLabels"), k);
			if (!keyOk(k)) problems.add(p, `key is not a valid label key${API}`);
			if (typeof v !== "string") problems.add(p, `value must be a string (quote numbers and booleans)${API}`);
			else if (!isLabelValue(v)) problems.add(p, `"${v}" is not a valid label value${API}`);
		}
	}
	if (sel.matchExpressions === undefined) return;
	if (!Array.isArray(sel.matchExpressions)) {
		problems.add(at(path, "matchExpressions"), `must be a list${API}`);
		return;
	}
	sel.matchExpressions.forEach((req, i) => {
		const p = at(at(path, "matchExpressions"), i);
		if (!isObject(req)) return problems.add(p, `must be a requirement {key, operator, values}${API}`);
		if (!keyOk(req.key)) problems.add(at(p, "key"), `missing or not a valid label key${API}`);
		if (!OPERATORS.has(req.operator)) {
			problems.add(at(p, "operator"), `"${req.operator}" is not one of In, NotIn, Exists, DoesNotExist${API}`);
			return;
		}
		const values = req.values === undefined || req.values === null ? [] : req.values;
		if (!Array.isArray(values)) return problems.add(at(p, "values"), `must be a list of strings${API}`);
		const needsValues = req.operator === "In" || req.operator === "NotIn";
		if (needsValues && values.length === 0) problems.add(at(p, "values"), `must be non-empty when operator is ${req.operator}${API}`);
		if (!needsValues && values.length > 0) problems.add(at(p, "values"), `must be empty when operator is ${req.operator}${API}`);
		values.forEach((v, j) => {
			if (!isLabelValue(v)) problems.add(at(at(p, "values"), j), `${JSON.stringify(v)} is not a valid label value${API}`);
		});
	});
}
