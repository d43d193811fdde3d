#!/usr/bin/env node
// validate.mjs: check every object of YAML/JSON files against the API of
// its kind, with libraries and schemas other people maintain plus the
// rules they do not carry (see README.md, "What each check means").
//
//   node tests/validate/validate.mjs [--allow-unknown] [--quiet] FILE...
//
// FILE: YAML (several --- documents) or JSON (an object, an array, a
// List); "-" reads standard input. One line per problem:
//   FILE: doc N KIND/NAME: FIELD: what is wrong [which check]
// Exit 0 when every object is valid, 1 when anything is not (a syntax
// error, an invalid object, an unknown kind without --allow-unknown), 2 on
// usage errors.
import { loadDocuments, title, where } from "./lib/documents.mjs";
import { Problems, isObject } from "./lib/problems.mjs";
import { validateNetworkPolicy } from "./lib/networkpolicy.mjs";
import { validateCiliumNetworkPolicy } from "./lib/cilium.mjs";
import { validateClusterNetworkPolicy, checkOrder } from "./lib/clusternetworkpolicy.mjs";
import { validateKubescape, API_VERSION as KUBESCAPE } from "./lib/kubescape.mjs";

const USAGE = `usage: node tests/validate/validate.mjs [--allow-unknown] [--quiet] FILE...
  Validates every object of the files by apiVersion and kind:
    networking.k8s.io/v1 NetworkPolicy            kubernetes-models + API server rules
    cilium.io/v2 CiliumNetworkPolicy              @kubernetes-models/cilium + cilium-agent rules
    policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy
                                                  the v0.2.0 CRD schema (experimental) + its CEL rules
    ${KUBESCAPE} NetworkNeighborhood, NetworkNeighbors, GeneratedNetworkPolicy
                                                  Kubescape's storage types (GeneratedNetworkPolicy's
                                                  spec as a NetworkPolicy)
  FILE is YAML or JSON (documents, arrays, List kinds); - reads standard input.
  --allow-unknown  skip objects of other kinds instead of failing on them
  --quiet          no summary line on stderr
  Prints "FILE: doc N KIND/NAME: problem" per problem; exit 0 all valid, 1 not, 2 usage.`;

// The kinds, by "apiVersion kind".
const VALIDATORS = new Map([
	["networking.k8s.io/v1 NetworkPolicy", validateNetworkPolicy],
	["cilium.io/v2 CiliumNetworkPolicy", validateCiliumNetworkPolicy],
	["policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy", validateClusterNetworkPolicy],
	[`${KUBESCAPE} NetworkNeighborhood`, validateKubescape],
	[`${KUBESCAPE} NetworkNeighbors`, validateKubescape],
	[`${KUBESCAPE} GeneratedNetworkPolicy`, validateKubescape],
]);
const KNOWN_KINDS = new Map([...VALIDATORS.keys()].map((k) => [k.split(" ")[1], k.split(" ")[0]]));

function parseArgs(argv) {
	const opts = { allowUnknown: false, quiet: false, files: [] };
	for (const a of argv) {
		if (a === "--allow-unknown") opts.allowUnknown = true;
		else if (a === "--quiet") opts.quiet = true;
		else if (a === "-h" || a === "--help") {
			console.log(USAGE);
			process.exit(0);
		} else if (a.startsWith("-") && a !== "-") {
			console.error(`validate.mjs: unknown option ${a}\n${USAGE}`);
			process.exit(2);
		} else opts.files.push(a);
	}
	if (opts.files.length === 0) {
		console.error(`validate.mjs: no FILE given\n${USAGE}`);
		process.exit(2);
	}
	return opts;
}

// validateEntry(entry, opts): the problems of one object; null when it is
// skipped (--allow-unknown).
function validateEntry(entry, opts) {
	const obj = entry.obj;
	const problems = new Problems();
	if (!isObject(obj)) {
		problems.add("", "not an object");
		return problems;
	}
	const validator = VALIDATORS.get(`${obj.apiVersion} ${obj.kind}`);
	if (validator) {
		validator(obj, problems);
		return problems;
	}
	const version = KNOWN_KINDS.get(obj.kind);
	if (version) problems.add("apiVersion", `${JSON.stringify(obj.apiVersion)}: ${obj.kind} is checked as ${version}`);
	else if (opts.allowUnknown) return null;
	else problems.add("", `unknown kind ${JSON.stringify(obj.apiVersion)} ${JSON.stringify(obj.kind)}: nothing checks it (--allow-unknown skips such objects)`);
	return problems;
}

// The same kind, namespace and name twice in one file (one export):
// kubectl apply keeps the last.
function duplicates(entries, report) {
	const seen = new Map();
	entries.forEach((e, i) => {
		const o = e.obj;
		if (!isObject(o) || !o.metadata?.name) return;
		const key = JSON.stringify([e.file, o.apiVersion, o.kind, o.metadata.namespace ?? "", o.metadata.name]);
		if (seen.has(key)) report(i, `metadata.name: the same kind, namespace and name as ${where(entries[seen.get(key)])}: one replaces the other [netpol-record]`);
		else seen.set(key, i);
	});
}

function main() {
	const opts = parseArgs(process.argv.slice(2));
	const { entries, errors } = loadDocuments(opts.files);
	const lines = errors.map((e) => `${e.file}: doc ${e.doc}: ${e.message}`);
	let checked = 0, skipped = 0;
	const extra = new Map();
	const note = (i, msg) => extra.set(i, [...(extra.get(i) ?? []), msg]);
	duplicates(entries, note);
	// The order of ClusterNetworkPolicies, within one file (one export).
	for (const file of new Set(entries.map((e) => e.file))) {
		const cnps = entries.map((e, i) => [e, i]).filter(([e]) => e.file === file && e.obj?.kind === "ClusterNetworkPolicy");
		checkOrder(cnps.map(([e]) => e.obj), (a, _b, msg) => note(cnps[a][1], msg));
	}
	let bad = 0;
	entries.forEach((entry, i) => {
		let problems;
		try {
			problems = validateEntry(entry, opts);
		} catch (e) {
			console.error(`validate.mjs: ${entry.file} ${where(entry)}: ${e.message}`);
			process.exit(2);
		}
		if (problems === null) {
			skipped++;
			return;
		}
		checked++;
		const all = [...problems.list, ...(extra.get(i) ?? [])];
		if (all.length > 0) bad++;
		for (const p of all) lines.push(`${entry.file}: ${where(entry)} ${title(entry.obj)}: ${p}`);
	});
	for (const l of lines) console.log(l);
	if (!opts.quiet) {
		const skip = skipped ? `, ${skipped} of unknown kinds skipped` : "";
		console.error(`validate: ${checked} objects checked${skip}: ${bad} invalid${errors.length ? `, ${errors.length} syntax errors` : ""}`);
	}
	process.exit(lines.length === 0 ? 0 : 1);
}

main();
