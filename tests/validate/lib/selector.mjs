// Label selector matching with three answers: true, false, or null when the
// recording does not know enough to decide (a namespace whose labels were
// not given, a peer workload whose labels are not in the flows file).
//
// A label set is {labels: {key: value}, complete}: complete (a boolean, or
// a function of the key) says that a key not in labels is absent; an
// incomplete set only knows the keys it holds. UNKNOWN_LABELS knows nothing.

export const UNKNOWN_LABELS = Object.freeze({ labels: {}, complete: false });

export function and3(...values) {
	if (values.some((v) => v === false)) return false;
	return values.some((v) => v === null) ? null : true;
}

export function or3(...values) {
	if (values.some((v) => v === true)) return true;
	return values.some((v) => v === null) ? null : false;
}

// requirement(key, operator, values, set): one requirement of a selector.
function requirement(key, operator, values, set) {
	const present = Object.prototype.hasOwnProperty.call(set.labels, key);
	const complete = typeof set.complete === "function" ? set.complete(key) : set.complete;
	if (!present && !complete) return null;
	const value = present ? set.labels[key] : undefined;
	switch (operator) {
	case "In": return present && values.includes(value);
	case "NotIn": return !present || !values.includes(value);
	case "Exists": return present;
	case "DoesNotExist": return !present;
	default: throw new Error(`label selector operator "${operator}" is not In, NotIn, Exists or DoesNotExist`);
	}
}

// requirements(sel, mapKey): the selector as a list of [key, operator,
// values]; mapKey(key) rewrites keys (Cilium's "k8s:" prefixes).
export function requirements(sel, mapKey = (k) => k) {
	const out = [];
	for (const [k, v] of Object.entries(sel?.matchLabels ?? {})) out.push([mapKey(k), "In", [v]]);
	for (const e of sel?.matchExpressions ?? []) out.push([mapKey(e.key), e.operator, e.values ?? []]);
	return out;
}

// matchSelector(sel, set, mapKey): does the selector select a label set?
// An empty selector ({}) selects everything.
export function matchSelector(sel, set, mapKey) {
	return and3(...requirements(sel, mapKey).map(([k, op, vals]) => requirement(k, op, vals, set)));
}
