// Read objects from YAML or JSON files the way kubectl does: several `---`
// documents, a JSON array, or a List (kind List or any *List with items),
// "-" for standard input. YAML is read as YAML 1.1, like Kubernetes'
// sigs.k8s.io/yaml: an unquoted on/yes/no is a boolean there, and a
// writer that forgets to quote it must be caught (timestamps stay strings,
// as they do there).
import { readFileSync } from "node:fs";
import YAML from "yaml";

const PARSE_OPTIONS = {
	version: "1.1",
	uniqueKeys: true,
	customTags: (tags) => tags.filter((t) => t.tag !== "tag:yaml.org,2002:timestamp"),
};

// readText(path): a file's text, or standard input for "-".
export function readText(path) {
	return readFileSync(path === "-" ? 0 : path, "utf8");
}

const isList = (o) => o !== null && typeof o === "object" && !Array.isArray(o) &&
	typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray(o.items);

// parseDocuments(text, file): {entries, errors}. An entry is {file, doc,
// item, obj}: doc counts the file's documents from 1, item is the index in
// a List or JSON array (null for a plain document). An error is
// {file, doc, message} with line and column in the message.
export function parseDocuments(text, file) {
	const entries = [];
	const errors = [];
	YAML.parseAllDocuments(text, PARSE_OPTIONS).forEach((d, i) => {
		const doc = i + 1;
		if (d.errors.length > 0) {
			for (const e of d.errors) {
				const pos = e.linePos?.[0];
				const where = pos ? ` (line ${pos.line}, column ${pos.col})` : "";
				errors.push({ file, doc, message: `YAML: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}${where}` });
			}
			return;
		}
		const obj = d.toJS({ maxAliasCount: 100 });
		if (obj === null || obj === undefined) return; // an empty document
		if (Array.isArray(obj)) obj.forEach((item, j) => entries.push({ file, doc, item: j, obj: item }));
		else if (isList(obj)) obj.items.forEach((item, j) => entries.push({ file, doc, item: j, obj: item }));
		else entries.push({ file, doc, item: null, obj });
	});
	return { entries, errors };
}

// loadDocuments(paths): every entry and error of every file.
export function loadDocuments(paths) {
	const entries = [];
	const errors = [];
	for (const path of paths) {
		const name = path === "-" ? "(stdin)" : path;
		let text;
		try {
			text = readText(path);
		} catch (e) {
			errors.push({ file: name, doc: 0, message: `cannot read: ${e.message}` });
			continue;
		}
		const r = parseDocuments(text, name);
		entries.push(...r.entries);
		errors.push(...r.errors);
	}
	return { entries, errors };
}

// where(entry): "doc N", or "doc N items[M]" for an item of a List.
export function where(entry) {
	return entry.item === null ? `doc ${entry.doc}` : `doc ${entry.doc} items[${entry.item}]`;
}

// title(obj): "Kind/name" of an object, for messages.
export function title(obj) {
	const kind = typeof obj?.kind === "string" && obj.kind ? obj.kind : "(no kind)";
	const name = typeof obj?.metadata?.name === "string" && obj.metadata.name ? obj.metadata.name : "(no name)";
	return `${kind}/${name}`;
}
