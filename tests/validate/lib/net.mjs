// IP addresses and CIDR prefixes, IPv4 and IPv6, as BigInt arithmetic.
//
// parseIP(text)          -> {family: 4|6, value: BigInt} or null
// parseCIDR(text)        -> {family, value, bits, canonical, text} or null
//                           (value is the network address: host bits cleared;
//                           canonical: the text had no host bits set)
// cidrContains(cidr, ip) -> boolean (false across families)
// cidrWithin(inner, outer) -> boolean: every address of inner is in outer
// formatIP(ip)           -> the address written back (for messages)
//
// Strict like Go's net/netip, which Kubernetes and Cilium use: no leading
// zeros in IPv4 octets, no zone, no IPv4-mapped forms with a v4 prefix.

function parseIPv4(text) {
	const parts = text.split(".");
	if (parts.length !== 4) return null;
	let value = 0n;
	for (const p of parts) {
		if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
		const n = Number(p);
		if (n > 255) return null;
		value = (value << 8n) | BigInt(n);
	}
	return { family: 4, value };
}

function parseIPv6(text) {
	if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
	// An embedded IPv4 address may end the text (::ffff:192.0.2.1): parse
	// it alone and stand two zero words in for it.
	let s = text;
	let v4 = null;
	const last = s.lastIndexOf(":");
	if (s.slice(last + 1).includes(".")) {
		v4 = parseIPv4(s.slice(last + 1));
		if (!v4) return null;
		s = s.slice(0, last + 1) + "0:0";
	}
	const halves = s.split("::");
	if (halves.length > 2) return null;
	const groups = (h) => (h === "" ? [] : h.split(":"));
	const head = groups(halves[0]);
	const tail = halves.length === 2 ? groups(halves[1]) : [];
	if (![...head, ...tail].every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return null;
	const fill = 8 - head.length - tail.length;
	if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
	const words = [...head, ...Array(fill).fill("0"), ...tail].map((g) => BigInt(parseInt(g, 16)));
	let value = 0n;
	for (const w of words) value = (value << 16n) | w;
	if (v4) value = (value & ~0xffffffffn) | v4.value;
	return { family: 6, value };
}

export function parseIP(text) {
	if (typeof text !== "string" || text === "") return null;
	return text.includes(":") ? parseIPv6(text) : parseIPv4(text);
}

const WIDTH = { 4: 32, 6: 128 };

function mask(family, bits) {
	const width = BigInt(WIDTH[family]);
	const all = (1n << width) - 1n;
	return bits === 0 ? 0n : (all >> (width - BigInt(bits))) << (width - BigInt(bits));
}

export function parseCIDR(text) {
	if (typeof text !== "string") return null;
	const slash = text.indexOf("/");
	if (slash < 0) return null;
	const ip = parseIP(text.slice(0, slash));
	const len = text.slice(slash + 1);
	if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(len)) return null;
	const bits = Number(len);
	if (bits > WIDTH[ip.family]) return null;
	const net = ip.value & mask(ip.family, bits);
	return { family: ip.family, value: net, bits, canonical: net === ip.value, text };
}

export function cidrContains(cidr, ip) {
	if (!cidr || !ip || cidr.family !== ip.family) return false;
	return (ip.value & mask(cidr.family, cidr.bits)) === cidr.value;
}

export function cidrWithin(inner, outer) {
	return inner.family === outer.family && inner.bits >= outer.bits &&
		(inner.value & mask(outer.family, outer.bits)) === outer.value;
}

export function formatIP(ip) {
	if (ip.family === 4) {
		const o = [];
		for (let s = 24n; s >= 0n; s -= 8n) o.push(Number((ip.value >> s) & 0xffn));
		return o.join(".");
	}
	const w = [];
	for (let s = 112n; s >= 0n; s -= 16n) w.push(Number((ip.value >> s) & 0xffffn).toString(16));
	// Compress the longest run of zero words (RFC 5952).
	let best = -1, bestLen = 1;
	for (let i = 0; i < 8;) {
		if (w[i] !== "0") { i++; continue; }
		let j = i;
		while (j < 8 && w[j] === "0") j++;
		if (j - i > bestLen) { best = i; bestLen = j - i; }
		i = j;
	}
	if (best < 0) return w.join(":");
	return w.slice(0, best).join(":") + "::" + w.slice(best + bestLen).join(":");
}
