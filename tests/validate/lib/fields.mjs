// Unknown fields, as the API server's strict field validation reports them
// (kubectl apply's default --validate=strict): a generator that misspells a
// field gets an error instead of a silently pruned policy.
//
// A shape is ANY (anything below is not checked), MAP (an object with any
// keys: labels, annotations, matchLabels), [shape] (an array of shape) or
// {field: shape, ...} (an object with exactly these fields).
// unknownFields(value, shape, path, problems, hints, tag) adds one problem
// per unknown field; hints maps a wrong field name to a sentence that says
// what to write instead. Type mismatches are left to the schema checks.
import { at, isObject } from "./problems.mjs";

export const ANY = Symbol("any");
export const MAP = Symbol("map");

export function unknownFields(value, shape, path, problems, hints = {}, tag = "") {
	if (shape === ANY || shape === MAP || value === null || value === undefined) return;
	if (Array.isArray(shape)) {
		if (!Array.isArray(value)) return;
		value.forEach((item, i) => unknownFields(item, shape[0], at(path, i), problems, hints, tag));
		return;
	}
	if (!isObject(value)) return;
	for (const [key, child] of Object.entries(value)) {
		if (!Object.prototype.hasOwnProperty.call(shape, key)) {
			const hint = hints[key] ? `: ${hints[key]}` : "";
			problems.add(at(path, key), `unknown field${hint}${tag}`);
			continue;
		}
		unknownFields(child, shape[key], at(path, key), problems, hints, tag);
	}
}

export const LABEL_SELECTOR = {
	matchLabels: MAP,
	matchExpressions: [{ key: ANY, operator: ANY, values: ANY }],
};

export const OBJECT_META = {
	name: ANY, generateName: ANY, namespace: ANY, labels: MAP, annotations: MAP,
	uid: ANY, resourceVersion: ANY, generation: ANY, creationTimestamp: ANY,
	deletionTimestamp: ANY, deletionGracePeriodSeconds: ANY, ownerReferences: ANY,
	finalizers: ANY, managedFields: ANY, selfLink: ANY,
};
