// What a validator found, as "path: message" lines.
//
// A validator takes the object and a Problems; it never prints. Paths are
// written the way kubectl and the API server write them:
// spec.ingress[0].from[1].ipBlock.cidr.

export class Problems {
	constructor() {
		this.list = [];
	}

	// add(path, message): one problem; path "" for the whole object.
	add(path, message) {
		this.list.push(path ? `${path}: ${message}` : message);
	}

	// within(prefix): a Problems-like sink that writes under prefix (the
	// NetworkPolicy embedded in a GeneratedNetworkPolicy's spec).
	within(prefix) {
		return { add: (path, message) => this.add(path ? `${prefix}.${path}` : prefix, message) };
	}

	get empty() {
		return this.list.length === 0;
	}
}

// at(path, key): the path of a field (string key) or an item (number).
export function at(path, key) {
	if (typeof key === "number") return `${path}[${key}]`;
	return path ? `${path}.${key}` : key;
}

// fromPointer(pointer): "/spec/egress/0/to" -> "spec.egress[0].to" (the
// instancePath of an Ajv error).
export function fromPointer(pointer) {
	let path = "";
	for (const raw of pointer.split("/").slice(1)) {
		const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
		path = /^[0-9]+$/.test(key) ? at(path, Number(key)) : at(path, key);
	}
	return path;
}

export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
