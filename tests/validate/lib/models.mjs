// Run a kubernetes-models class's own validation (the JSON schema its
// maintainers generate from the upstream Go types) and turn its errors into
// problems, one line per field.
import { fromPointer } from "./problems.mjs";

// ajvMessage(err): an Ajv error as a sentence, with the allowed values of
// an enum and the property a "required" error names.
export function ajvMessage(err) {
	const p = err.params ?? {};
	if (err.keyword === "enum") return `${err.message}: ${p.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
	if (err.keyword === "additionalProperties") return `unknown field "${p.additionalProperty}"`;
	// With Ajv's verbose option the data is there to name the fields.
	if (err.keyword === "maxProperties" && p.limit === 1 && err.data && typeof err.data === "object")
		return `exactly one field may be set, found ${Object.keys(err.data).join(", ")}`;
	if (err.keyword === "minProperties" && p.limit === 1) return "one field must be set, none is";
	if (err.keyword === "maxItems" && Array.isArray(err.data)) return `at most ${p.limit} items, found ${err.data.length}`;
	return err.message;
}

// ajvProblems(errors, problems, tag): group Ajv errors by field; tag is
// the source named after each message, or a function of the error.
export function ajvProblems(errors, problems, tag) {
	const tagOf = typeof tag === "function" ? tag : () => tag;
	const byPath = new Map();
	// An anyOf/oneOf over "required" branches (Cilium's spec needs one of
	// ingress, egress...) is one problem: which fields may be set.
	const alternatives = new Set(errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf").map((e) => e.instancePath));
	const missing = (path) => errors.filter((e) => e.keyword === "required" && e.instancePath === path).map((e) => e.params.missingProperty);
	errors = errors.filter((e) => !(e.keyword === "required" && alternatives.has(e.instancePath))).map((e) => {
		if (e.keyword !== "anyOf" && e.keyword !== "oneOf") return e;
		const fields = missing(e.instancePath);
		if (e.keyword === "oneOf" && Array.isArray(e.params?.passingSchemas))
			return { ...e, message: "matches more than one of its allowed forms: set only one of its fields" };
		if (fields.length === 0) return e;
		return { ...e, message: `needs ${e.keyword === "oneOf" ? "exactly one" : "at least one"} of ${fields.join(", ")}` };
	});
	for (const err of errors) {
		let path = fromPointer(err.instancePath ?? "");
		let msg = ajvMessage(err);
		if (err.keyword === "required") {
			path = path ? `${path}.${err.params.missingProperty}` : err.params.missingProperty;
			msg = "required field missing";
		}
		if (err.keyword === "additionalProperties") {
			path = path ? `${path}.${err.params.additionalProperty}` : err.params.additionalProperty;
			msg = "unknown field";
		}
		const key = JSON.stringify([path, tagOf(err)]);
		if (!byPath.has(key)) byPath.set(key, []);
		if (!byPath.get(key).includes(msg)) byPath.get(key).push(msg);
	}
	for (const [key, msgs] of byPath) {
		const [path, t] = JSON.parse(key);
		problems.add(path, `${msgs.join("; ")}${t}`);
	}
}

// modelProblems(Model, obj, problems, tag): validate obj as Model.
export function modelProblems(Model, obj, problems, tag) {
	try {
		new Model(structuredClone(obj)).validate();
	} catch (e) {
		if (!Array.isArray(e.errors)) throw e;
		ajvProblems(e.errors, problems, tag);
	}
}
