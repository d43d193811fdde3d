// lib/documents.mjs: reading objects as kubectl does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDocuments } from "../lib/documents.mjs";

test("YAML 1.1 like kubectl: unquoted on is a boolean, timestamps stay strings", () => {
	const { entries, errors } = parseDocuments("a: on\nb: \"on\"\nc: 2026-11-18T11:06:40Z\n", "f");
	assert.deepEqual(errors, []);
	assert.deepEqual(entries[0].obj, { a: true, b: "on", c: "2026-11-18T11:06:40Z" });
});

test("documents, Lists, JSON arrays and empty documents", () => {
	const { entries } = parseDocuments("---\nkind: A\n---\n---\nkind: List\nitems:\n- kind: B\n- kind: C\n", "f");
	assert.deepEqual(entries.map((e) => [e.doc, e.item, e.obj.kind]), [[1, null, "A"], [3, 0, "B"], [3, 1, "C"]]);
	const json = parseDocuments('[{"kind": "X"}, {"kind": "Y"}]', "g").entries;
	assert.deepEqual(json.map((e) => [e.doc, e.item]), [[1, 0], [1, 1]]);
});

test("syntax errors and duplicate keys name the document, line and column", () => {
	const { errors } = parseDocuments("kind: A\n---\na: 1\na: 2\n", "f");
	assert.equal(errors.length, 1);
	assert.equal(errors[0].doc, 2);
	assert.match(errors[0].message, /^YAML: Map keys must be unique \(line 4, column 1\)$/);
});
