// The validators' own tables: every CEL rule of the vendored CRD has a
// JavaScript twin, and the checks run without a file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { schemaValidator } from "../lib/clusternetworkpolicy.mjs";
import { validateNetworkPolicy } from "../lib/networkpolicy.mjs";
import { Problems } from "../lib/problems.mjs";

test("the CRD compiles: each of its x-kubernetes-validations rules is implemented", () => {
	assert.equal(typeof schemaValidator(), "function");
});

test("a NetworkPolicy problem names the field and the check", () => {
	const p = new Problems();
	validateNetworkPolicy({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "x", namespace: "demo" },
		spec: { podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] } }, p);
	assert.deepEqual(p.list, ["spec.ingress[0].ports[0].port: 70000 is not a port number (1-65535) [API server]"]);
});
