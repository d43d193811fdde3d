// "A name that was never resolved is not in any toFQDNs/domainNames"
// (issue 19): every name a policy allows by DNS must be one a recorded pod
// resolved, and written as that name, not as a pattern wider than it.
// The DNS rule's own matchPattern (toPorts[].rules.dns, which only lets
// Cilium see lookups) is not a destination and is not checked.
import { normName } from "./flows.mjs";

const list = (v) => (Array.isArray(v) ? v : []);

function ciliumNames(cnp) {
	const out = [];
	const rules = [["spec", cnp.spec], ...list(cnp.specs).map((r, i) => [`specs[${i}]`, r])];
	for (const [base, r] of rules) list(r?.egress).forEach((e, i) => list(e?.toFQDNs).forEach((s, j) => {
		const path = `${base}.egress[${i}].toFQDNs[${j}]`;
		if (s?.matchName !== undefined) out.push({ path: `${path}.matchName`, name: s.matchName, pattern: false });
		if (s?.matchPattern !== undefined) out.push({ path: `${path}.matchPattern`, name: s.matchPattern, pattern: true });
	}));
	return out;
}

function cnpNames(cnp) {
	const out = [];
	list(cnp.spec?.egress).forEach((rule, i) => list(rule?.to).forEach((peer, j) => list(peer?.domainNames).forEach((d, k) => {
		out.push({ path: `spec.egress[${i}].to[${j}].domainNames[${k}]`, name: d, pattern: String(d).includes("*") });
	})));
	return out;
}

// checkNames(policies, model): [{policy, path, name, problem}].
export function checkNames(policies, model) {
	const problems = [];
	for (const p of policies) {
		const found = p.kind === "CiliumNetworkPolicy" ? ciliumNames(p) : p.kind === "ClusterNetworkPolicy" ? cnpNames(p) : [];
		const policy = `${p.kind} ${p.metadata.namespace ? `${p.metadata.namespace}/` : ""}${p.metadata.name}`;
		for (const { path, name, pattern } of found) {
			if (pattern) problems.push({ policy, path, name, problem: `"${name}" is a pattern: write the names the pods resolved` });
			else if (!model.resolved.has(normName(name))) problems.push({ policy, path, name, problem: `"${name}" is not a name any recorded pod resolved` });
		}
	}
	return problems;
}
