#!/usr/bin/env node
// evaluate.mjs: would these policies allow every recorded flow? A small
// evaluator of the subset of each API that netpol-record writes (README.md,
// "The evaluator's semantics").
//
//   node tests/validate/evaluate.mjs --flows FLOWS.json [--flows MORE.json]...
//       --policies FILE... [--format networkpolicy|cilium|clusternetworkpolicy]
//       [--expect-denied] [--probe-namespace NS]... [--skip-protocol P]...
//       [--no-name-check] [-v] [-o text|json]
//
// Exit 0 when every flow got the verdict it expects (recorded flows:
// allowed; --expect-denied: denied; probes: denied), nothing is
// unresolved and every name in toFQDNs/domainNames was resolved by a pod;
// 1 otherwise; 2 on usage or input errors.
import { readText, loadDocuments, title, where } from "./lib/documents.mjs";
import { loadFlows, describeFlow, probeFlows } from "./lib/flows.mjs";
import { npSide } from "./lib/eval_networkpolicy.mjs";
import { ciliumSide } from "./lib/eval_cilium.mjs";
import { cnpSide, subjectSelects } from "./lib/eval_clusternetworkpolicy.mjs";
import { checkNames } from "./lib/names.mjs";
import { isObject } from "./lib/problems.mjs";

const USAGE = `usage: node tests/validate/evaluate.mjs --flows FLOWS.json [--flows MORE.json]... --policies FILE...
          [--format networkpolicy|cilium|clusternetworkpolicy] [--expect-denied]
          [--probe-namespace NS]... [--skip-protocol P]... [--no-name-check] [-v] [-o text|json]
  --flows       netpol-record report -o json (schema 1) or a NetpolRecordFlows file (README.md);
                more NetpolRecordFlows files add to it (pod addresses, container ports, names)
  --policies    YAML/JSON policies (documents, List, arrays; - for stdin); repeatable; a later
                object of the same kind, namespace and name replaces an earlier one
  --format      which API decides (default: from the kinds found):
                  networkpolicy        NetworkPolicy (also the spec of GeneratedNetworkPolicy)
                  cilium               CiliumNetworkPolicy + NetworkPolicy, as Cilium enforces them
                  clusternetworkpolicy ClusterNetworkPolicy tiers + NetworkPolicy
  --expect-denied    every flow of FLOWS.json must be denied (negative checks)
  --probe-namespace NS  also check flows to and from a pod of namespace NS, which nothing
                     talked to, for every recorded workload the policies cover: all denied
  --skip-protocol P  do not evaluate flows of protocol P (ICMP, ICMPv6: a NetworkPolicy cannot
                     express them); they are counted as skipped
  --no-name-check    do not require every toFQDNs/domainNames name to be one a pod resolved
  -v                 print every flow's verdict and why
  -o json            one JSON document instead of text
  Exit 0: every flow as expected; 1: some not, unresolved, or a name never resolved; 2: usage.`;

const FORMATS = {
	networkpolicy: { side: npSide, kinds: ["NetworkPolicy"] },
	cilium: { side: ciliumSide, kinds: ["CiliumNetworkPolicy", "NetworkPolicy"] },
	clusternetworkpolicy: { side: cnpSide, kinds: ["ClusterNetworkPolicy", "NetworkPolicy"] },
};

function fail(msg) {
	console.error(`evaluate.mjs: ${msg}`);
	process.exit(2);
}

function parseArgs(argv) {
	const opts = { flows: [], policies: [], format: null, expectDenied: false, probes: [], skip: [], nameCheck: true, verbose: false, output: "text" };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const value = () => {
			if (i + 1 >= argv.length) fail(`${a} needs a value\n${USAGE}`);
			return argv[++i];
		};
		if (a === "--flows") opts.flows.push(value());
		else if (a === "--policies") opts.policies.push(value());
		else if (a === "--format") opts.format = value();
		else if (a === "--expect-denied") opts.expectDenied = true;
		else if (a === "--probe-namespace") opts.probes.push(value());
		else if (a === "--skip-protocol") opts.skip.push(value());
		else if (a === "--no-name-check") opts.nameCheck = false;
		else if (a === "-v" || a === "--verbose") opts.verbose = true;
		else if (a === "-o") opts.output = value();
		else if (a === "-h" || a === "--help") {
			console.log(USAGE);
			process.exit(0);
		} else fail(`unknown argument ${a}\n${USAGE}`);
	}
	if (opts.flows.length === 0 || opts.policies.length === 0) fail(`--flows and --policies are required\n${USAGE}`);
	if (opts.format && !FORMATS[opts.format]) fail(`--format ${opts.format}: one of ${Object.keys(FORMATS).join(", ")}`);
	if (opts.output !== "text" && opts.output !== "json") fail(`-o ${opts.output}: text or json`);
	return opts;
}

// policiesOf(entries, format): the objects the format's API reads, the
// NetworkPolicies of GeneratedNetworkPolicy objects included. A later
// object of the same kind, namespace and name replaces an earlier one (as
// kubectl apply does), so a file given after another can change one policy.
function policiesOf(entries, format) {
	const out = new Map();
	let skipped = 0;
	for (const e of entries) {
		let o = e.obj;
		if (isObject(o) && o.kind === "GeneratedNetworkPolicy") o = o.spec;
		if (!isObject(o) || !FORMATS[format].kinds.includes(o.kind)) {
			skipped++;
			continue;
		}
		const namespaced = o.kind !== "ClusterNetworkPolicy";
		if (!isObject(o.metadata) || !o.metadata.name || (namespaced && !o.metadata.namespace))
			fail(`${e.file} ${where(e)} ${title(o)}: metadata.name${namespaced ? " and metadata.namespace" : ""} are needed`);
		const key = JSON.stringify([o.kind, o.metadata.namespace ?? "", o.metadata.name]);
		out.delete(key);
		out.set(key, o);
	}
	return { policies: [...out.values()], skipped };
}

function detectFormat(entries) {
	const kinds = new Set(entries.map((e) => e.obj?.kind === "GeneratedNetworkPolicy" ? "NetworkPolicy" : e.obj?.kind));
	if (kinds.has("ClusterNetworkPolicy") && kinds.has("CiliumNetworkPolicy")) fail("ClusterNetworkPolicy and CiliumNetworkPolicy objects together: say which with --format");
	if (kinds.has("ClusterNetworkPolicy")) return "clusternetworkpolicy";
	if (kinds.has("CiliumNetworkPolicy")) return "cilium";
	return "networkpolicy";
}

// covered(model, policies, format): the recorded workloads the policies
// can apply to (probes are made for these).
function covered(model, policies, format) {
	const namespaces = new Set(policies.filter((p) => p.kind !== "ClusterNetworkPolicy").map((p) => p.metadata.namespace));
	return [...model.workloads.values()].filter((w) => w.recorded && !w.hostNetwork &&
		(namespaces.has(w.namespace) || (format === "clusternetworkpolicy" &&
			policies.some((p) => p.kind === "ClusterNetworkPolicy" && subjectSelects(p, w, model) === true))));
}

function evaluate(flow, side, policies, model) {
	const egress = side(policies, model, flow, "egress");
	const ingress = side(policies, model, flow, "ingress");
	const verdict = egress.v === false || ingress.v === false ? "denied"
		: egress.v === null || ingress.v === null ? "unresolved" : "allowed";
	return { verdict, egress, ingress };
}

function main() {
	const opts = parseArgs(process.argv.slice(2));
	const docs = opts.flows.map((path) => {
		try {
			return JSON.parse(readText(path));
		} catch (e) {
			return fail(`${path}: ${e.message}`);
		}
	});
	let model;
	try {
		model = loadFlows(docs);
	} catch (e) {
		fail(`${opts.flows.join(", ")}: ${e.message}`);
	}
	const { entries, errors } = loadDocuments(opts.policies);
	if (errors.length) fail(errors.map((e) => `${e.file}: doc ${e.doc}: ${e.message}`).join("\n"));
	const format = opts.format ?? detectFormat(entries);
	const { policies, skipped } = policiesOf(entries, format);
	if (skipped && opts.output === "text") console.error(`evaluate: ${skipped} objects that ${format} does not read were skipped`);
	if (opts.expectDenied) for (const f of model.flows) f.expect = "denied";
	const expectOf = (f, fmt) => (isObject(f.expect) ? f.expect[fmt] ?? "allowed" : f.expect);
	const skip = (f) => opts.skip.some((p) => p.toUpperCase() === String(f.protocol).toUpperCase());
	const flows = model.flows.filter((f) => !skip(f));
	const skippedFlows = model.flows.length - flows.length;
	for (const ns of opts.probes) {
		if ([...model.workloads.values()].some((w) => w.namespace === ns && w.recorded)) fail(`--probe-namespace ${ns}: that namespace has recorded workloads`);
		flows.push(...probeFlows(model, ns, covered(model, policies, format)));
	}
	const results = [];
	for (const flow of flows) {
		let r;
		try {
			r = evaluate(flow, FORMATS[format].side, policies, model);
		} catch (e) {
			fail(`${describeFlow(flow)}: ${e.message}`);
		}
		const expect = expectOf(flow, format);
		results.push({ flow, expect, ...r, ok: r.verdict === expect });
	}
	const names = opts.nameCheck ? checkNames(policies, model) : [];
	const count = (pred) => results.filter(pred).length;
	const summary = {
		format, policies: policies.length, flows: results.length,
		allowedAsExpected: count((r) => r.ok && r.verdict === "allowed"),
		deniedAsExpected: count((r) => r.ok && r.verdict === "denied"),
		notAsExpected: count((r) => !r.ok && r.verdict !== "unresolved"),
		unresolved: count((r) => r.verdict === "unresolved"),
		namesNeverResolved: names.length, skipped: skippedFlows,
	};
	const good = summary.notAsExpected === 0 && summary.unresolved === 0 && names.length === 0;
	if (opts.output === "json") {
		console.log(JSON.stringify({
			summary, ok: good,
			flows: results.map((r) => ({ flow: describeFlow(r.flow), expect: r.expect, verdict: r.verdict, ok: r.ok, note: r.flow.note,
				egress: { verdict: r.egress.v, why: r.egress.why }, ingress: { verdict: r.ingress.v, why: r.ingress.why } })),
			names,
		}, null, 2));
	} else {
		for (const r of results) {
			if (r.ok && !opts.verbose) continue;
			const head = r.ok ? `ok ${r.verdict.toUpperCase()}` : r.verdict === "unresolved" ? "UNRESOLVED" : `${r.verdict.toUpperCase()} (expected ${r.expect})`;
			const note = r.flow.note ? ` [${r.flow.note}]` : "";
			console.log(`${head.padEnd(22)} ${describeFlow(r.flow)}${note}\n${" ".repeat(23)}egress: ${r.egress.why}\n${" ".repeat(23)}ingress: ${r.ingress.why}`);
		}
		for (const n of names) console.log(`${"NAME NEVER RESOLVED".padEnd(22)} ${n.policy} ${n.path}: ${n.problem}`);
		console.log(`evaluate (${format}, ${summary.policies} policies): ${summary.flows} flows: ${summary.allowedAsExpected} allowed and ${summary.deniedAsExpected} denied as expected, ${summary.notAsExpected} not as expected, ${summary.unresolved} unresolved; ${names.length} names never resolved${skippedFlows ? `; ${skippedFlows} flows skipped (${opts.skip.join(", ")})` : ""}`);
	}
	process.exit(good ? 0 : 1);
}

main();
