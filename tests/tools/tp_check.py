#!/usr/bin/python3
"""tp_check.py: do the TrafficProfiles a node published say what its store
says? A second, independent reading of install/kubernetes/README.md's
mapping (store flows -> entries), for the integration tests.

    tp_check.py --db STORE --node NAME --profiles LIST.json
                [--status STATUS.json] [--max-entries N]

LIST.json is the API server's list of the node's TrafficProfiles (items);
STATUS.json its RecorderStatus. Checks, for every workload of the store
that has flows as a subject (and is publishable: a kind the CRD lists,
not deleted): exactly one object of that name in its namespace, whose
entries equal the store's flows (direction, peer, protocol, port,
Service, times, counts; DNS names grouped), whose workload and
peerWorkloads are the store's rows, with the ownerReference to its uid,
recordingStarted and eventsLost the store's, dnsNames the answers the
store has for the entries' addresses; no object of this node for
anything else; the status's dataEnd the store's data end. Prints every
difference and exits 1 when there is one.
"""
import argparse
import ipaddress
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeapi_schema import profile_name  # noqa: E402 (the names rule)

KINDS = {"Deployment": "apps/v1", "StatefulSet": "apps/v1",
         "DaemonSet": "apps/v1", "ReplicaSet": "apps/v1",
         "Job": "batch/v1", "CronJob": "batch/v1",
         "ReplicationController": "v1", "Pod": "v1"}
PROTO = {1: "ICMP", 6: "TCP", 17: "UDP", 132: "SCTP", 58: "ICMPv6"}


def canon(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"))


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
    """The entries and peer workloads of workload wl from its flows."""
    entries = {}
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
            if p is None or p["kind"] not in KINDS:
                peer = {"unknown": True}
            else:
                peer = {"workload": {"namespace": p["namespace"],
                                     "kind": p["kind"], "name": p["name"]}}
                peers[(p["namespace"], p["kind"], p["name"])] = \
                    workload_info(p, True)
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
        key = canon([direction, peer, proto, port, svc])
        e = entries.get(key)
        if e is None:
            e = entries[key] = {"direction": direction, "protocol": proto,
                                "port": port, "peer": peer,
                                "firstSeen": f["first_seen"],
                                "lastSeen": f["last_seen"], "count": 0,
                                "bytes": 0, "packets": 0}
            if svc:
                e["service"] = svc
        e["firstSeen"] = min(e["firstSeen"], f["first_seen"])
        e["lastSeen"] = max(e["lastSeen"], f["last_seen"])
        e["count"] += f["count"]
        e["bytes"] += f["bytes"]
        e["packets"] += f["packets"]
        if "dns" in e["peer"]:
            e["peer"]["dns"].setdefault("addresses", []).append(
                {"address": f["peer_addr"], "firstSeen": f["first_seen"],
                 "lastSeen": f["last_seen"], "count": f["count"],
                 "bytes": f["bytes"], "packets": f["packets"]})
    out = []
    for e in entries.values():
        for k in ("bytes", "packets"):
            if e[k] == 0:
                del e[k]
        if "dns" in e["peer"]:
            addrs = e["peer"]["dns"]["addresses"]
            addrs.sort(key=lambda a: (-a["lastSeen"], a["address"]))
            if len(addrs) > 64:
                e["peer"]["dns"]["omittedAddresses"] = len(addrs) - 64
                del addrs[64:]
            for a in addrs:
                for k in ("bytes", "packets"):
                    if a[k] == 0:
                        del a[k]
        out.append(e)
    return out, peers


def addr_key(a):
    """IPv4 before IPv6, then by bytes (lib/addr.c's addr_cmp)."""
    ip = ipaddress.ip_address(a)
    return (ip.version, ip.packed)


def expected_dns(db, wl, entries):
    """spec.dnsNames: the answers of the addresses the entries name."""
    addrs = set()
    for e in entries:
        if "address" in e["peer"]:
            addrs.add(e["peer"]["address"])
        elif "dns" in e["peer"]:
            addrs.update(a["address"] for a in e["peer"]["dns"]["addresses"])
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
        if wl is None or wl["kind"] not in KINDS or wl["deleted_at"]:
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
        entries, peers = expected(db, wl, rows, nodes)
        if len(entries) > a.max_entries:
            problems.append("%s: %d entries, more than --max-entries" %
                            (what, len(entries)))
        want = sorted(canon(e) for e in entries)
        have = sorted(canon(e) for e in spec["entries"])
        for e in sorted(set(want) - set(have)):
            problems.append("%s: missing entry %s" % (what, e))
        for e in sorted(set(have) - set(want)):
            problems.append("%s: unexpected entry %s" % (what, e))
        if spec["entryCount"] != len(spec["entries"]) or \
                spec["truncated"] != 0:
            problems.append("%s: entryCount %d, truncated %d" %
                            (what, spec["entryCount"], spec["truncated"]))
        if canon(spec["workload"]) != canon(workload_info(wl, False)):
            problems.append("%s: workload %s, the store's %s" %
                            (what, canon(spec["workload"]),
                             canon(workload_info(wl, False))))
        dn = expected_dns(db, wl, entries)
        if canon(spec.get("dnsNames", [])) != canon(dn):
            problems.append("%s: dnsNames %s, the store's %s" %
                            (what, canon(spec.get("dnsNames", [])),
                             canon(dn)))
        pw = sorted(canon(p) for p in spec.get("peerWorkloads", []))
        if pw != sorted(canon(p) for p in peers.values()):
            problems.append("%s: peerWorkloads %s, the store's %s" %
                            (what, pw, sorted(canon(p) for p in
                                              peers.values())))
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
