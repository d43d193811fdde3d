// lib/net.mjs: addresses and prefixes as Kubernetes and Cilium parse them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseIP, parseCIDR, cidrContains, cidrWithin, formatIP } from "../lib/net.mjs";

test("IPv4 and IPv6 addresses parse strictly and print back", () => {
	for (const [text, back] of [["203.0.113.10", "203.0.113.10"], ["2001:db8:ff::10", "2001:db8:ff::10"],
		["2001:DB8:0:0:0:0:0:1", "2001:db8::1"], ["::", "::"], ["::ffff:192.0.2.1", "::ffff:c000:201"],
		["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"]])
		assert.equal(formatIP(parseIP(text)), back, text);
	for (const bad of ["01.2.3.4", "1.2.3", "256.1.1.1", "1::2::3", "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "", "x"])
		assert.equal(parseIP(bad), null, bad);
});

test("a CIDR knows whether host bits are set, and what it contains", () => {
	const c = parseCIDR("203.0.113.0/24");
	assert.ok(c.canonical);
	assert.equal(parseCIDR("203.0.113.7/24").canonical, false);
	assert.ok(cidrContains(c, parseIP("203.0.113.255")));
	assert.ok(!cidrContains(c, parseIP("203.0.114.0")));
	assert.ok(!cidrContains(c, parseIP("::ffff:203.0.113.1")), "no match across families");
	assert.ok(cidrContains(parseCIDR("::/0"), parseIP("2001:db8::1")));
	assert.ok(cidrContains(parseCIDR("0.0.0.0/0"), parseIP("198.51.100.1")));
	assert.equal(parseCIDR("203.0.113.0/33"), null);
	assert.equal(parseCIDR("203.0.113.0"), null);
	assert.ok(cidrWithin(parseCIDR("2001:db8:1::/48"), parseCIDR("2001:db8::/32")));
	assert.ok(!cidrWithin(parseCIDR("2001:db8::/32"), parseCIDR("2001:db8:1::/48")));
});
