// lib/selector.mjs: label selectors with three answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { matchSelector, and3, or3, UNKNOWN_LABELS } from "../lib/selector.mjs";

const pod = { labels: { app: "backend", tier: "api" }, complete: true };

test("matchLabels and every operator on a complete label set", () => {
	assert.equal(matchSelector({}, pod), true);
	assert.equal(matchSelector({ matchLabels: { app: "backend" } }, pod), true);
	assert.equal(matchSelector({ matchLabels: { app: "frontend" } }, pod), false);
	assert.equal(matchSelector({ matchExpressions: [{ key: "tier", operator: "In", values: ["api", "web"] }] }, pod), true);
	assert.equal(matchSelector({ matchExpressions: [{ key: "canary", operator: "NotIn", values: ["true"] }] }, pod), true, "NotIn matches an absent key");
	assert.equal(matchSelector({ matchExpressions: [{ key: "canary", operator: "Exists" }] }, pod), false);
	assert.equal(matchSelector({ matchExpressions: [{ key: "canary", operator: "DoesNotExist" }] }, pod), true);
	assert.throws(() => matchSelector({ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] }, pod), /operator/);
});

test("what a label set does not know is unknown, unless the selector decides anyway", () => {
	const ns = { labels: { "kubernetes.io/metadata.name": "demo" }, complete: false };
	assert.equal(matchSelector({ matchLabels: { "kubernetes.io/metadata.name": "demo" } }, ns), true);
	assert.equal(matchSelector({ matchLabels: { team: "ops" } }, ns), null);
	assert.equal(matchSelector({ matchLabels: { "kubernetes.io/metadata.name": "other", team: "ops" } }, ns), false, "one false requirement decides");
	assert.equal(matchSelector({}, UNKNOWN_LABELS), true);
	assert.equal(matchSelector({ matchLabels: { app: "x" } }, UNKNOWN_LABELS), null);
	const partial = { labels: { app: "db" }, complete: (k) => !k.startsWith("io.cilium.") };
	assert.equal(matchSelector({ matchLabels: { role: "x" } }, partial), false);
	assert.equal(matchSelector({ matchLabels: { "io.cilium.k8s.policy.serviceaccount": "x" } }, partial), null);
});

test("three-valued and/or", () => {
	assert.equal(and3(true, null), null);
	assert.equal(and3(false, null), false);
	assert.equal(or3(false, null), null);
	assert.equal(or3(true, null), true);
	assert.equal(and3(), true);
	assert.equal(or3(), false);
});
