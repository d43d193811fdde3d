#!/usr/bin/python3
"""tp_check.py: do the TrafficProfiles a node published say what its store
says? A second, independent reading of install/kubernetes/README.md's
mapping (store flows -> peers grouped by direction, protocol and port),
for the integration tests.

    tp_check.py --db STORE --node NAME --profiles LIST.json
                [--status STATUS.json] [--max-entries N]
                [--namespaces PATTERNS]

LIST.json is the API server's list of the node's TrafficProfiles (items);
STATUS.json its RecorderStatus; PATTERNS the node's publish.namespaces,
comma-separated (default: every namespace). Checks, for every workload of
the store that has flows as a subject (and is publishable: a kind the CRD
lists, not deleted, in a published namespace): exactly one object of that
name in its namespace, whose spec.egress and spec.ingress are the store's
flows (groups by protocol and port, in the CRD enum's order then by
port, none twice; in each, the peers: workload references, nodes,
addresses, DNS names with their addresses, unknown; Service, times,
counts), entryCount the number of peers, every peer of the store there
unless spec.truncated counts it (the least recently seen go first, at
most --max-entries stay), whose workload is the store's row, whose
peerWorkloads describe exactly the peers it names that no profile of
their own describes (deleted, hostNetwork, or in a namespace not
published), with the ownerReference to its uid, recordingStarted and
eventsLost the store's, dnsNames the answers the store has for its
peers' addresses; no object of this node for anything else; the
status's dataEnd the store's data end. Prints every difference and exits
1 when there is one.
"""
import argparse
import fnmatch
import ipaddress
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeapi_schema import profile_name  # noqa: E402 (the names rule)

KINDS = {"Deployment": "apps/v1", "StatefulSet": "apps/v1",
         "DaemonSet": "apps/v1", "ReplicaSet": "apps/v1",
         "Job": "batch/v1", "CronJob": "batch/v1",
         "ReplicationController": "v1", "Pod": "v1"}
PROTO = {1: "ICMP", 6: "TCP", 17: "UDP", 132: "SCTP", 58: "ICMPv6"}
# The CRD's protocol enum, in its order: the order of the groups.
PROTOCOLS = ["TCP", "UDP", "SCTP", "ICMP", "ICMPv6"]
LISTS = {"Egress": "egress", "Ingress": "ingress"}
# What the CRD's workload reference pattern takes of a namespace and a
# name; a peer that does not fit is written as unknown.
NS_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?\Z")


def canon(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"))


def ns_selected(patterns, ns):
    """publish.namespaces: shell patterns, those with a leading '!'
    excluding; without an including one, every namespace not excluded."""
    any_include = included = False
    for p in (p.strip() for p in (patterns or "").split(",")):
        if not p:
            continue
        if p.startswith("!"):
            if fnmatch.fnmatchcase(ns, p[1:]):
                return False
            continue
        any_include = True
        included = included or fnmatch.fnmatchcase(ns, p)
    return not any_include or included


def reference(p, ns):
    """The string a peer workload is named by, from namespace ns; None
    when the CRD's pattern would refuse it."""
    if p["kind"] not in KINDS or len(p["namespace"]) > 63 or \
            len(p["name"]) > 253 or not NS_RE.match(p["namespace"]) or \
            not NAME_RE.match(p["name"]):
        return None
    if p["namespace"] == ns:
        return "%s/%s" % (p["kind"], p["name"])
    return "%s/%s/%s" % (p["namespace"], p["kind"], p["name"])


def described_inline(p, ns):
    """Must a profile of namespace ns describe peer p: in another
    namespace, or no profile of its own describes it (deleted,
    hostNetwork)?"""
    return p["namespace"] != ns or bool(p["deleted_at"]) or \
        bool(p["host_network"])


def workload_info(row, with_ns):
    out = {"kind": row["kind"], "name": row["name"],
           "hostNetwork": bool(row["host_network"]),
           "startedAt": row["started_at"],
           "selector": json.loads(row["selector"]) if row["selector"]
           else {}}
    if row["labels"] is not None:
        out["labels"] = json.loads(row["labels"])
    if row["ports"] is not None:
        out["ports"] = json.loads(row["ports"])
    if with_ns:
        out["namespace"] = row["namespace"]
    return out


def expected(db, wl, rows, nodes):
    """The groups of workload wl from its flows, {(direction, protocol,
    port): [peer item]}, and the peer workloads to describe when they are
    named, {reference: PeerWorkload}."""
    items = {}
    peers = {}
    for f in db.execute("SELECT * FROM flows WHERE workload_id = ?",
                        (wl["id"],)):
        direction = "Egress" if f["direction"] == 0 else "Ingress"
        proto = PROTO[f["protocol"]]
        port = 0 if proto in ("ICMP", "ICMPv6") else f["port"]
        svc = {"address": f["orig_addr"], "port": f["orig_port"]} \
            if f["orig_addr"] else None
        if f["peer_kind"] == 0:
            p = rows.get(f["peer_workload_id"])
            ref = reference(p, wl["namespace"]) if p is not None else None
            if ref is None:
                peer = {"unknown": True}
            else:
                peer = {"workload": ref}
                if described_inline(p, wl["namespace"]):
                    peers[ref] = workload_info(p, True)
        elif f["peer_kind"] == 2:
            peer = {"node": {"address": f["peer_addr"]}}
            if nodes.get(f["peer_addr"]):
                peer["node"]["name"] = nodes[f["peer_addr"]]
        elif f["peer_kind"] == 1 and f["dns_name"] and direction == "Egress":
            peer = {"dns": {"name": f["dns_name"]}}
        elif f["peer_kind"] == 1:
            peer = {"address": f["peer_addr"]}
        else:
            peer = {"unknown": True}
        group = (direction, proto, port)
        key = canon([group, peer, svc])
        e = items.get(key)
        if e is None:
            e = items[key] = dict(peer, firstSeen=f["first_seen"],
                                  lastSeen=f["last_seen"], count=0,
                                  bytes=0, packets=0)
            e["group"] = group
            if svc:
                e["service"] = svc
        e["firstSeen"] = min(e["firstSeen"], f["first_seen"])
        e["lastSeen"] = max(e["lastSeen"], f["last_seen"])
        e["count"] += f["count"]
        e["bytes"] += f["bytes"]
        e["packets"] += f["packets"]
        if "dns" in e:
            e["dns"].setdefault("addresses", []).append(
                {"address": f["peer_addr"], "firstSeen": f["first_seen"],
                 "lastSeen": f["last_seen"], "count": f["count"],
                 "bytes": f["bytes"], "packets": f["packets"]})
    groups = {}
    for e in items.values():
        for k in ("bytes", "packets"):
            if e[k] == 0:
                del e[k]
        if "dns" in e:
            addrs = e["dns"]["addresses"]
            addrs.sort(key=lambda a: (-a["lastSeen"], a["address"]))
            if len(addrs) > 64:
                e["dns"]["omittedAddresses"] = len(addrs) - 64
                del addrs[64:]
            for a in addrs:
                for k in ("bytes", "packets"):
                    if a[k] == 0:
                        del a[k]
        groups.setdefault(e.pop("group"), []).append(e)
    return groups, peers


def check_groups(what, spec, groups, problems):
    """spec.egress and spec.ingress against the store's groups: the
    groups in order, none twice, no peer the store does not have. Returns
    the peers the object has and those it left out, as lists of items."""
    kept, left = [], []
    for direction, field in LISTS.items():
        have = spec.get(field)
        if have is None:
            have = []
        elif not isinstance(have, list) or not have:
            problems.append("%s: %s is %s, not a list of groups (absent "
                            "when empty)" % (what, field, canon(have)))
            continue
        keys = [(g.get("protocol"), g.get("port")) for g in have]
        order = [(PROTOCOLS.index(p) if p in PROTOCOLS else -1, port)
                 for p, port in keys]
        if order != sorted(set(order)):
            problems.append("%s: %s groups %s, not in protocol (%s) then "
                            "port order, or one twice" %
                            (what, field, keys, ", ".join(PROTOCOLS)))
        got = {}
        for g in have:
            got[(g.get("protocol"), g.get("port"))] = g.get("peers", [])
        want = {(p, port): items for (d, p, port), items in groups.items()
                if d == direction}
        for k in sorted(set(got) - set(want), key=str):
            problems.append("%s: %s: unexpected group %s" %
                            (what, field, k))
        for k in sorted(want):
            w = {canon(i): i for i in want[k]}
            g = [canon(i) for i in got.get(k, [])]
            for c in sorted(set(g) - set(w)):
                problems.append("%s: %s %s/%d: unexpected peer %s" %
                                (what, field, k[0], k[1], c))
            if len(g) != len(set(g)):
                problems.append("%s: %s %s/%d: a peer twice" %
                                (what, field, k[0], k[1]))
            kept.extend(w[c] for c in sorted(set(g) & set(w)))
            left.extend(w[c] for c in sorted(set(w) - set(g)))
    return kept, left


def check_truncation(what, spec, kept, left, max_entries, problems):
    """Every peer is there, or spec.truncated says how many are not, and
    those are the least recently seen."""
    if not spec["truncated"]:
        for e in left:
            problems.append("%s: missing peer %s" % (what, canon(e)))
    if spec["entryCount"] != len(kept) or spec["truncated"] != len(left):
        problems.append("%s: entryCount %d, truncated %d: the store has "
                        "%d peers, %d of them in the object" %
                        (what, spec["entryCount"], spec["truncated"],
                         len(kept) + len(left), len(kept)))
    if len(kept) > max_entries:
        problems.append("%s: %d peers, more than --max-entries" %
                        (what, len(kept)))
    if kept and left and max(e["lastSeen"] for e in left) > \
            min(e["lastSeen"] for e in kept):
        problems.append("%s: a peer seen at %d left out, one seen at %d "
                        "kept" % (what, max(e["lastSeen"] for e in left),
                                  min(e["lastSeen"] for e in kept)))


def addr_key(a):
    """IPv4 before IPv6, then by bytes (lib/addr.c's addr_cmp)."""
    ip = ipaddress.ip_address(a)
    return (ip.version, ip.packed)


def expected_dns(db, wl, items):
    """spec.dnsNames: the answers of the addresses the peers name."""
    addrs = set()
    for e in items:
        if "address" in e:
            addrs.add(e["address"])
        elif "dns" in e:
            addrs.update(a["address"] for a in e["dns"]["addresses"])
    names = {}
    for r in db.execute("SELECT d.addr, d.name, MIN(d.first_seen), "
                        "MAX(d.last_seen) FROM attachments a JOIN "
                        "dns_answers d ON d.attachment_id = a.id WHERE "
                        "a.workload_id = ? GROUP BY d.addr, d.name",
                        (wl["id"],)):
        if r[0] in addrs:
            names.setdefault(r[0], []).append(
                {"name": r[1], "firstSeen": r[2],
                 "lastSeen": max(r[2], r[3])})
    out = []
    for a in sorted(names, key=addr_key):
        ns = sorted(names[a], key=lambda n: (-n["lastSeen"], n["name"]))
        out.append({"address": a,
                    "names": sorted(ns[:64], key=lambda n: n["name"])})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--profiles", required=True)
    ap.add_argument("--status")
    ap.add_argument("--max-entries", type=int, default=1000)
    ap.add_argument("--namespaces", default="")
    a = ap.parse_args()
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    db.row_factory = sqlite3.Row
    rows = {r["id"]: r for r in db.execute("SELECT * FROM workloads")}
    nodes = {r["addr"]: r["name"] for r in
             db.execute("SELECT name, addr FROM nodes")}
    meta = dict(db.execute("SELECT key, value FROM meta"))
    counters = dict(db.execute("SELECT name, value FROM counters"))
    started = int(meta.get("recording_started", 0))
    lost = int(counters.get("events_lost", 0))
    with open(a.profiles) as f:
        items = json.load(f).get("items", [])
    got = {}
    for o in items:
        if o["spec"]["node"] != a.node:
            continue
        got[(o["metadata"]["namespace"], o["metadata"]["name"])] = o
    problems = []
    want_names = set()
    subjects = [r[0] for r in
                db.execute("SELECT DISTINCT workload_id FROM flows")]
    for wid in subjects:
        wl = rows.get(wid)
        if wl is None or wl["kind"] not in KINDS or wl["deleted_at"] or \
                not ns_selected(a.namespaces, wl["namespace"]):
            continue
        name = profile_name(wl["kind"], wl["name"], a.node)
        key = (wl["namespace"], name)
        want_names.add(key)
        what = "%s/%s" % key
        o = got.get(key)
        if o is None:
            problems.append("%s: not in the API (the store has %s %s)" %
                            (what, wl["kind"], wl["name"]))
            continue
        spec = o["spec"]
        groups, inline = expected(db, wl, rows, nodes)
        kept, left = check_groups(what, spec, groups, problems)
        check_truncation(what, spec, kept, left, a.max_entries, problems)
        if canon(spec["workload"]) != canon(workload_info(wl, False)):
            problems.append("%s: workload %s, the store's %s" %
                            (what, canon(spec["workload"]),
                             canon(workload_info(wl, False))))
        dn = expected_dns(db, wl, kept)
        if canon(spec.get("dnsNames", [])) != canon(dn):
            problems.append("%s: dnsNames %s, the store's %s" %
                            (what, canon(spec.get("dnsNames", [])),
                             canon(dn)))
        pw = sorted(canon(p) for p in spec.get("peerWorkloads", []))
        want_pw = sorted(set(canon(inline[e["workload"]]) for e in kept
                             if e.get("workload") in inline))
        if pw != want_pw:
            problems.append("%s: peerWorkloads %s, the store's %s" %
                            (what, pw, want_pw))
        if spec["recordingStarted"] != started or spec["eventsLost"] != lost:
            problems.append("%s: recordingStarted %d eventsLost %d, the "
                            "store's %d %d" % (what,
                                               spec["recordingStarted"],
                                               spec["eventsLost"], started,
                                               lost))
        refs = o["metadata"].get("ownerReferences", [])
        want_refs = [{"apiVersion": KINDS[wl["kind"]], "kind": wl["kind"],
                      "name": wl["name"], "uid": wl["uid"]}] \
            if wl["uid"] else []
        if canon(refs) != canon(want_refs):
            problems.append("%s: ownerReferences %s, want %s" %
                            (what, canon(refs), canon(want_refs)))
    for key in sorted(set(got) - want_names):
        problems.append("%s/%s: in the API, but the store has no such "
                        "workload with flows" % key)
    if a.status:
        with open(a.status) as f:
            st = json.load(f)
        end = db.execute("SELECT max(coalesce((SELECT MAX(last_seen) FROM "
                         "flows), 0), coalesce((SELECT MAX(updated_at) "
                         "FROM counters), 0))").fetchone()[0]
        spec = st.get("spec", {})
        if spec.get("node") != a.node:
            problems.append("RecorderStatus: %s" % canon(st)[:300])
        elif spec.get("dataEnd") != end:
            problems.append("RecorderStatus: dataEnd %s, the store's %s" %
                            (spec.get("dataEnd"), end))
        elif spec.get("recordingStarted") != started:
            problems.append("RecorderStatus: recordingStarted %s, the "
                            "store's %s" % (spec.get("recordingStarted"),
                                            started))
    for p in problems:
        print("tp_check %s: %s" % (a.node, p))
    print("tp_check %s: %d objects, %d problems" % (a.node, len(got),
                                                   len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
