// The evaluators on small cases whose answers the APIs' documentation
// gives (the fixtures of tests/fixtures/validate cover the demo).
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadFlows } from "../lib/flows.mjs";
import { parseCIDR } from "../lib/net.mjs";
import { npSide } from "../lib/eval_networkpolicy.mjs";
import { ciliumSide, patternRE } from "../lib/eval_cilium.mjs";
import { cnpSide, domainMatches } from "../lib/eval_clusternetworkpolicy.mjs";

// world(flows): a model with pods a and b in ns1, c in ns2, an external
// address, and the given flows ([from, to, protocol, port, extra]).
function world(flows, extra = {}) {
	return loadFlows([{
		kind: "NetpolRecordFlows", version: 1,
		namespaces: [{ name: "ns1", labels: { team: "red" } }, { name: "ns2", labels: { team: "blue" } }],
		nodes: [{ name: "n1", addresses: ["198.18.0.1"], local: true }, { name: "n2", addresses: ["198.18.0.2"] },
			{ name: "n3", addresses: ["198.18.0.3"], local: false }],
		workloads: [
			{ namespace: "ns1", kind: "Deployment", name: "a", labels: { app: "a" }, addresses: ["198.18.1.1"], ports: [{ name: "http", port: 8080 }] },
			{ namespace: "ns1", kind: "Deployment", name: "b", labels: { app: "b" }, addresses: ["198.18.1.2"], ports: [{ name: "http", port: 8080 }] },
			{ namespace: "ns2", kind: "Deployment", name: "c", labels: { app: "c" }, addresses: ["198.18.2.1"], ports: [] },
		],
		names: [{ name: "api.example.test", addresses: ["203.0.113.10"] }, { name: "www.cdn.example.test", addresses: ["203.0.113.20"] }],
		flows: flows.map(([from, to, protocol, port, more]) => ({ from, to, protocol, port, ...more })),
		...extra,
	}]);
}
const A = "ns1/Deployment/a", B = "ns1/Deployment/b", C = "ns2/Deployment/c";
const verdict = (side, policies, model, i = 0) => {
	const f = model.flows[i];
	const e = side(policies, model, f, "egress").v, n = side(policies, model, f, "ingress").v;
	return e === false || n === false ? "denied" : e === null || n === null ? "unresolved" : "allowed";
};
const np = (name, ns, spec) => ({ kind: "NetworkPolicy", metadata: { name, namespace: ns }, spec });

test("NetworkPolicy: policyTypes default, both ends, one peer vs two peers", () => {
	const m = world([[A, B, "TCP", 8080], [C, B, "TCP", 8080]]);
	// An ingress rule alone: Ingress only, egress stays open.
	const onlyB = [np("b", "ns1", { podSelector: { matchLabels: { app: "b" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "a" } } }] }] })];
	assert.equal(verdict(npSide, onlyB, m, 0), "allowed");
	assert.equal(verdict(npSide, onlyB, m, 1), "denied", "podSelector alone: the policy's namespace only");
	const andPeer = [np("b", "ns1", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "blue" } }, podSelector: { matchLabels: { app: "a" } } }] }] })];
	assert.equal(verdict(npSide, andPeer, m, 1), "denied", "one peer: ANDed");
	const orPeers = [np("b", "ns1", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "blue" } } }, { podSelector: { matchLabels: { app: "a" } } }] }] })];
	assert.equal(verdict(npSide, orPeers, m, 1), "allowed", "two peers: ORed");
	// Egress rules make policyTypes include Egress: a's egress to b is now denied.
	const egressA = [np("a", "ns1", { podSelector: { matchLabels: { app: "a" } }, egress: [{ to: [{ ipBlock: { cidr: "203.0.113.0/24" } }] }] })];
	assert.equal(verdict(npSide, egressA, m, 0), "denied");
});

test("NetworkPolicy: ipBlock except, endPort, named ports, ICMP, nodes", () => {
	const m = world([[A, { address: "203.0.113.10" }, "TCP", 30001], [A, { address: "203.0.113.200" }, "TCP", 30001],
		[A, { address: "203.0.113.10" }, "ICMP", 0], [A, B, "TCP", 8080], [{ node: "n1" }, B, "TCP", 9999], [{ node: "n2" }, B, "TCP", 9999],
		[{ node: "n3" }, B, "TCP", 9999]]);
	const p = [np("a", "ns1", { podSelector: { matchLabels: { app: "a" } }, policyTypes: ["Egress"], egress: [
		{ to: [{ ipBlock: { cidr: "203.0.113.0/24", except: ["203.0.113.128/25"] } }], ports: [{ port: 30000, endPort: 32767 }] },
		{ to: [{ ipBlock: { cidr: "198.18.0.0/15" } }] }] }),
	np("b", "ns1", { podSelector: { matchLabels: { app: "b" } }, ingress: [{ ports: [{ port: "http" }] }] })];
	assert.equal(verdict(npSide, p, m, 0), "allowed");
	assert.equal(verdict(npSide, p, m, 1), "denied", "except");
	assert.equal(verdict(npSide, p, m, 2), "denied", "a rule with ports never allows ICMP");
	assert.equal(verdict(npSide, p, m, 3), "denied", "an ipBlock never allows a pod");
	assert.equal(verdict(npSide, p, m, 4), "allowed", "the pod's own node");
	assert.equal(verdict(npSide, p, m, 5), "allowed", "a node of unknown place counts as the pod's own, as netpol-record check does");
	assert.equal(verdict(npSide, p, m, 6), "denied", "another node goes through the rules");
});

test("Cilium: namespace of endpoint selectors, CIDR vs pods, entities, FQDN patterns, icmps", () => {
	const m = world([[A, C, "TCP", 80], [A, { address: "203.0.113.10" }, "TCP", 443, { dnsName: "api.example.test" }],
		[A, { address: "198.18.2.1" }, "TCP", 81], [A, { node: "n2" }, "TCP", 10250], [A, { address: "203.0.113.20" }, "ICMP", 0, { icmpType: 8 }]]);
	const cnp = (egress) => [{ kind: "CiliumNetworkPolicy", metadata: { name: "a", namespace: "ns1" }, spec: { endpointSelector: { matchLabels: { app: "a" } }, egress } }];
	const dns = { toEndpoints: [{}], toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }] };
	assert.equal(verdict(ciliumSide, cnp([{ toEndpoints: [{ matchLabels: { app: "c" } }] }]), m, 0), "denied", "no namespace label: the policy's namespace");
	assert.equal(verdict(ciliumSide, cnp([{ toEndpoints: [{ matchLabels: { app: "c", "k8s:io.kubernetes.pod.namespace": "ns2" } }] }]), m, 0), "allowed");
	assert.equal(verdict(ciliumSide, cnp([{ toEndpoints: [{ matchLabels: { "io.cilium.k8s.namespace.labels.team": "blue" } }] }]), m, 0), "allowed", "namespace labels: any namespace");
	assert.equal(verdict(ciliumSide, cnp([{ toEndpoints: [{ matchLabels: { "io.cilium.k8s.namespace.labels.team": "red" } }] }]), m, 0), "denied");
	assert.equal(verdict(ciliumSide, cnp([{ toFQDNs: [{ matchPattern: "*.example.test" }] }, dns]), m, 1), "allowed");
	assert.equal(verdict(ciliumSide, cnp([{ toFQDNs: [{ matchName: "api.example.test" }] }]), m, 1), "denied", "no DNS rule: the proxy never sees the lookup");
	assert.equal(verdict(ciliumSide, cnp([{ toCIDR: ["198.18.0.0/15"] }]), m, 2), "denied", "CIDR rules do not select a pod's address");
	assert.equal(m.flows[2].dst.type, "workload", "an address of a known pod is that pod");
	assert.equal(verdict(ciliumSide, cnp([{ toEntities: ["host", "remote-node"] }]), m, 3), "allowed");
	assert.equal(verdict(ciliumSide, cnp([{ toEntities: ["host"] }]), m, 3), "unresolved", "n2 may or may not be the pod's node");
	assert.equal(verdict(ciliumSide, cnp([{ toEntities: ["world"], icmps: [{ fields: [{ type: "EchoRequest" }] }] }]), m, 4), "allowed");
	assert.equal(verdict(ciliumSide, cnp([{ toEntities: ["world"], icmps: [{ fields: [{ type: 8, family: "IPv6" }] }] }]), m, 4), "denied");
	assert.equal(verdict(ciliumSide, cnp([{ toEntities: ["world"], toPorts: [{ ports: [{ port: "0", protocol: "ANY" }] }] }]), m, 4), "denied", "toPorts never allows ICMP");
	assert.equal(verdict(ciliumSide, cnp([{ toEntities: ["world"] }]), m, 4), "allowed", "no L4 part: every protocol");
	assert.equal(verdict(ciliumSide, cnp([{ toEntities: [] }]), m, 4), "denied", "an empty list selects nothing");
	assert.equal(verdict(ciliumSide, cnp([{}]), m, 4), "denied", "an empty rule: Cilium's default deny");
	assert.equal(verdict(ciliumSide, cnp([{ toPorts: [{ ports: [{ port: "0", protocol: "ANY" }] }] }]), m, 0), "allowed", "ports alone: any peer");
});

test("Cilium matchPattern and ClusterNetworkPolicy domainNames wildcards", () => {
	assert.ok(patternRE("*").test("anything.example.test"));
	assert.ok(patternRE("*.example.test").test("api.example.test"));
	assert.ok(!patternRE("*.example.test").test("www.cdn.example.test"), "one label");
	assert.ok(patternRE("**.example.test").test("www.cdn.example.test"));
	assert.ok(patternRE("api-*.example.test.").test("api-eu.example.test"));
	assert.ok(domainMatches("*.example.test", "www.cdn.example.test"), "one or more labels");
	assert.ok(!domainMatches("*.example.test", "example.test"));
	assert.ok(domainMatches("API.example.test.", "api.example.test"));
});

test("ClusterNetworkPolicy: tiers, priorities, Pass, rules in order", () => {
	const m = world([[A, C, "TCP", 80], [C, A, "TCP", 8080], [A, { address: "203.0.113.10" }, "UDP", 53]]);
	const cnp = (name, tier, priority, spec) => ({ kind: "ClusterNetworkPolicy", metadata: { name }, spec: { tier, priority, subject: { namespaces: {} }, ...spec } });
	const denyAll = cnp("deny", "Baseline", 50, { egress: [{ action: "Deny", to: [{ namespaces: {} }, { networks: ["0.0.0.0/0", "::/0"] }] }] });
	assert.equal(verdict(cnpSide, [denyAll], m, 0), "denied");
	const pass = cnp("pass", "Admin", 1, { egress: [{ action: "Pass", to: [{ namespaces: { matchLabels: { team: "blue" } } }] }] });
	assert.equal(verdict(cnpSide, [pass, denyAll], m, 0), "denied", "Pass goes on to the next tier");
	const accept = cnp("accept", "Baseline", 10, { egress: [{ action: "Accept", to: [{ pods: { namespaceSelector: {}, podSelector: { matchLabels: { app: "c" } } } }], protocols: [{ tcp: { destinationPort: { range: { start: 80, end: 90 } } } }] }] });
	assert.equal(verdict(cnpSide, [denyAll, accept], m, 0), "allowed", "lower priority number first");
	const allowNp = np("a", "ns1", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] });
	assert.equal(verdict(cnpSide, [denyAll, allowNp], m, 0), "allowed", "a NetworkPolicy decides before the Baseline tier");
	assert.equal(verdict(cnpSide, [denyAll], m, 1), "denied");
	assert.equal(verdict(cnpSide, [cnp("in", "Baseline", 1, { ingress: [{ action: "Deny", from: [{ namespaces: { matchLabels: { team: "blue" } } }] }] })], m, 1), "denied");
	const udp = cnp("udp", "Baseline", 1, { egress: [{ action: "Accept", to: [{ domainNames: ["api.example.test"] }], protocols: [{ udp: { destinationPort: { number: 53 } } }] }, { action: "Deny", to: [{ networks: ["0.0.0.0/0"] }] }] });
	assert.equal(verdict(cnpSide, [udp], m, 2), "allowed", "rules in order: the Accept first");
});

test("a pod whose address the recording lacks is unresolved against a networks peer", () => {
	const m = loadFlows([{ kind: "NetpolRecordFlows", version: 1,
		workloads: [{ namespace: "ns1", kind: "Deployment", name: "a", labels: {} }, { namespace: "ns1", kind: "Deployment", name: "b", labels: {} }],
		flows: [{ from: A, to: B, protocol: "TCP", port: 80 }] }]);
	const cnp = { kind: "ClusterNetworkPolicy", metadata: { name: "x" }, spec: { tier: "Baseline", priority: 1, subject: { namespaces: {} }, egress: [{ action: "Deny", to: [{ networks: ["198.18.0.0/15"] }] }] } };
	assert.equal(verdict(cnpSide, [cnp], m, 0), "unresolved");
	m.podCIDRs.push(parseCIDR("203.0.113.0/24"));
	assert.equal(verdict(cnpSide, [cnp], m, 0), "allowed", "pods are in the pod range, which 198.18.0.0/15 does not overlap");
});
