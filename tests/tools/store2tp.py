#!/usr/bin/python3
"""A FIXTURE GENERATOR: TrafficProfiles and RecorderStatuses from stores.

  store2tp.py [--now UNIX] [--age SECONDS] [--refresh SECONDS]
              [--no-status] [--no-store-facts] [--split N]
              STORE[=NODE]... > objects.json

Builds, from each node's store (an SQLite file netpol-recorderd wrote,
read with SQL as tests may), the objects that node's publisher would
write to the Kubernetes API, by the documented mapping of
install/kubernetes/README.md: one TrafficProfile per (workload with
flows, node), one RecorderStatus per node. It prints them as a v1 List
that tests/tools/fake_apiserver.py takes (--seed, /_test/load).

This is NOT the publisher (netpol-recorderd's, issue 17) and it is not
the proof that the cluster reader gives what the stores give: it lets
the reader's tests and bench run without a cluster of recorders. The
proof is tests/integration/test_cluster_export.sh, on the three-node
scenario where real recorders publish.

The KnownServers imported into the stores become KnownServer objects
(ours, cluster-scoped; --no-known-servers leaves them out), as an admin
would now apply them with `known-servers import --cluster`.

The profiles are of the compact form: spec.egress and spec.ingress, one
group per (protocol, port) in the CRD's order, peer workloads named by
reference (Kind/name in the object's namespace, else namespace/Kind/name).
spec.peerWorkloads describes, by the publisher's rule, a peer in another
namespace than the profile, a peer deleted from the store (deleted_at)
and a hostNetwork peer -- plus one case
of this generator's own: a peer that is not a subject with flows in any
of the STOREs given (in a cluster its own node would publish it; here no
profile of it would exist).

NODE defaults to the store's meta node_name. --age makes every object
that many seconds old (publishedAt = now - age): a node whose objects are
older than twice --refresh is one that stopped publishing. --no-status
leaves the RecorderStatus objects out, --no-store-facts their
`dataEnd` and `storeCounters`. --split N makes N copies of every profile under other node names
(NODE-1..) with the flows dealt out among them (paging tests).
"""
import argparse
import json
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakeapi_schema as fs  # noqa: E402

PROTOCOLS = {6: "TCP", 17: "UDP", 132: "SCTP", 1: "ICMP", 58: "ICMPv6"}
# The CRD's enum order: the order of the groups.
PROTOCOL_ORDER = {6: 0, 17: 1, 132: 2, 1: 3, 58: 4}
DIRECTIONS = {0: "egress", 1: "ingress"}
PEER_WORKLOAD, PEER_ADDRESS, PEER_NODE, PEER_UNKNOWN = 0, 1, 2, 3
MAX_DNS_ADDRESSES = 64


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def meta(db, key):
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,))\
        .fetchone()
    return row[0] if row else None


def as_json(text):
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def workload_info(row, with_ns):
    """WorkloadInfo / PeerWorkload of a workloads row."""
    _, ns, kind, name, sel, labels, ports, hostnet, started = row[:9]
    w = {}
    if with_ns:
        w["namespace"] = ns
    w["kind"] = kind
    w["name"] = name
    s = as_json(sel)
    w["selector"] = s if isinstance(s, dict) else {}
    lab = as_json(labels)
    if isinstance(lab, dict):
        w["labels"] = lab
    p = as_json(ports)
    if isinstance(p, list):
        w["ports"] = p
    w["hostNetwork"] = bool(hostnet)
    w["startedAt"] = started or 0
    return w


def counts(e, f):
    """The counters of flow row f into peer item (or address) e."""
    e["firstSeen"] = f["first_seen"]
    e["lastSeen"] = f["last_seen"]
    e["count"] = f["count"]
    if f["bytes"]:
        e["bytes"] = f["bytes"]
    if f["packets"]:
        e["packets"] = f["packets"]
    return e


def reference(ns, p):
    """A peer workload's reference from a profile of namespace ns."""
    return "%s/%s" % (p[2], p[3]) if p[1] == ns else \
        "%s/%s/%s" % (p[1], p[2], p[3])


def inline(ns, p, subjects):
    """Whether peer row p is described in spec.peerWorkloads of a profile
    of namespace ns: in another namespace, or no profile of its own
    describes it (the module's docstring)."""
    return p[1] != ns or p[9] != 0 or bool(p[7]) or \
        (p[1], p[2], p[3]) not in subjects


def groups_of(ns, flows, wls, nodes, subjects):
    """spec.egress and spec.ingress of one workload's flow rows (lists of
    groups, empty when none), the peer items over both, and the peer
    workloads described inline."""
    groups, peers, dns = {}, {}, {}
    for f in flows:
        gkey = (f["direction"], f["protocol"], f["port"])
        items = groups.setdefault(gkey, [])
        e = {}
        kind = f["peer_kind"]
        if kind == PEER_WORKLOAD and f["peer_workload_id"] in wls:
            p = wls[f["peer_workload_id"]]
            e["workload"] = reference(ns, p)
            if inline(ns, p, subjects):
                peers[(p[1], p[2], p[3])] = workload_info(p, True)
        elif kind == PEER_ADDRESS and f["dns_name"] and \
                f["direction"] == 0:
            key = gkey + (f["dns_name"], f["orig_addr"], f["orig_port"])
            if key not in dns:
                dns[key] = (e, [])
                items.append(e)
            dns[key][1].append(f)
            continue
        elif kind == PEER_ADDRESS:
            e["address"] = f["peer_addr"]
        elif kind == PEER_NODE:
            n = {"address": f["peer_addr"]}
            if nodes.get(f["peer_addr"]):
                n["name"] = nodes[f["peer_addr"]]
            e["node"] = n
        else:
            e["unknown"] = True
        if f["orig_addr"]:
            e["service"] = {"address": f["orig_addr"],
                            "port": f["orig_port"]}
        if f["dns_name"]:
            e["dnsName"] = f["dns_name"]
        items.append(counts(e, f))
    for key, (e, fs_) in dns.items():
        # The most recently seen addresses first; beyond 64, omitted.
        fs_.sort(key=lambda f: (-f["last_seen"], f["peer_addr"]))
        listed, omitted = fs_[:MAX_DNS_ADDRESSES], fs_[MAX_DNS_ADDRESSES:]
        e["dns"] = {"name": key[3], "addresses": [
            counts({"address": f["peer_addr"]}, f) for f in listed]}
        if omitted:
            e["dns"]["omittedAddresses"] = len(omitted)
        if key[4]:
            e["service"] = {"address": key[4], "port": key[5]}
        e["firstSeen"] = min(f["first_seen"] for f in fs_)
        e["lastSeen"] = max(f["last_seen"] for f in fs_)
        e["count"] = sum(f["count"] for f in fs_)
        if sum(f["bytes"] for f in fs_):
            e["bytes"] = sum(f["bytes"] for f in fs_)
        if sum(f["packets"] for f in fs_):
            e["packets"] = sum(f["packets"] for f in fs_)
    out = {0: [], 1: []}
    for d, proto, port in sorted(groups, key=lambda k: (
            k[0], PROTOCOL_ORDER[k[1]], k[2])):
        out[d].append({"protocol": PROTOCOLS[proto], "port": port,
                       "peers": groups[(d, proto, port)]})
    items = [e for g in out[0] + out[1] for e in g["peers"]]
    return out[0], out[1], items, [peers[k] for k in sorted(peers)]


def profile(ns, w, node, egress, ingress, items, peers, started, lost,
            published):
    kind, name = w["kind"], w["name"]
    o = {"apiVersion": "netpol-record.io/v1alpha1", "kind": "TrafficProfile",
         "metadata": {
             "name": fs.profile_name(kind, name, node), "namespace": ns,
             "labels": {
                 "app.kubernetes.io/managed-by": "netpol-record",
                 "netpol-record.io/workload-kind": kind,
                 "netpol-record.io/workload-name": fs.label_value(name),
                 "netpol-record.io/node": fs.label_value(node)}},
         "spec": {"workload": w, "node": node, "recordingStarted": started,
                  "publishedAt": rfc3339(published),
                  "lastSeen": rfc3339(max(e["lastSeen"] for e in items)),
                  "eventsLost": lost, "truncated": 0,
                  "entryCount": len(items)}}
    if egress:
        o["spec"]["egress"] = egress
    if ingress:
        o["spec"]["ingress"] = ingress
    if peers:
        o["spec"]["peerWorkloads"] = peers
    return o


def status(db, node, started, published, refresh, store_facts):
    c = dict(db.execute("SELECT name, value FROM counters").fetchall())
    attached = db.execute("SELECT count(*) FROM attachments WHERE "
                          "detached_at = 0").fetchone()[0]
    s = {"node": node, "version": "0.2.0", "recordingStarted": started,
         "publishedAt": rfc3339(published),
         "lastProfileWrite": rfc3339(published),
         "publishIntervalSeconds": 30, "publishRefreshSeconds": refresh,
         "maxEntries": 1000,
         "counters": {"eventsSeen": c.get("events_seen", 0),
                      "eventsLost": c.get("events_lost", 0),
                      "podsAttached": attached, "podsAdopted": 0,
                      "objectsWritten": 1, "publishFailed": 0,
                      "publishPending": 0}}
    if store_facts:
        last = db.execute("SELECT max(last_seen) FROM flows").fetchone()[0]
        upd = db.execute("SELECT max(updated_at) FROM counters")\
            .fetchone()[0]
        s["dataEnd"] = max(last or 0, upd or 0)
        s["storeCounters"] = c
    return {"apiVersion": "netpol-record.io/v1alpha1",
            "kind": "RecorderStatus",
            "metadata": {"name": node, "namespace": "netpol-record",
                         "labels": {
                             "app.kubernetes.io/managed-by": "netpol-record",
                             "netpol-record.io/node": fs.label_value(node)}},
            "spec": s}


def open_store(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    db.row_factory = sqlite3.Row
    return db


def subjects_of(paths):
    """(namespace, kind, name) of every workload with flows as a subject
    in one of the stores: those whose own profiles a cluster holds."""
    out = set()
    for path in paths:
        db = open_store(path)
        out |= {tuple(r) for r in db.execute(
            "SELECT DISTINCT w.namespace, w.kind, w.name FROM flows f "
            "JOIN workloads w ON w.id = f.workload_id")}
        db.close()
    return out


def one_store(path, node, a, subjects):
    db = open_store(path)
    node = node or meta(db, "node_name")
    if not node:
        sys.exit("%s: no node_name in the store: give STORE=NODE" % path)
    started = int(meta(db, "recording_started") or 0)
    lost = dict(db.execute("SELECT name, value FROM counters")
                .fetchall()).get("events_lost", 0)
    published = a.now - a.age
    # deleted_at came with a later schema: 0 in a store without it.
    cols = {r[1] for r in db.execute("PRAGMA table_info(workloads)")}
    wls = {r[0]: tuple(r) for r in db.execute(
        "SELECT id, namespace, kind, name, selector, labels, ports, "
        "host_network, started_at, %s FROM workloads" %
        ("deleted_at" if "deleted_at" in cols else "0"))}
    nodes = {r[1]: r[0] for r in db.execute("SELECT name, addr FROM nodes")}
    by_wl = {}
    for f in db.execute("SELECT * FROM flows ORDER BY id"):
        by_wl.setdefault(f["workload_id"], []).append(f)
    objs = []
    for wid in sorted(by_wl):
        if wid not in wls:
            continue
        w = wls[wid]
        flows = by_wl[wid]
        names = [node] if a.split <= 1 else \
            ["%s-%d" % (node, i + 1) for i in range(a.split)]
        for i, n in enumerate(names):
            part = flows[i::len(names)]
            if not part:
                continue
            egress, ingress, items, peers = groups_of(w[1], part, wls,
                                                      nodes, subjects)
            objs.append(profile(w[1], workload_info(w, False), n, egress,
                                ingress, items, peers, started, lost,
                                published))
    if not a.no_status:
        objs.append(status(db, node, started, published, a.refresh,
                           not a.no_store_facts))
    if not a.no_known_servers:
        objs += known_servers(db)
    db.close()
    return objs


def known_servers(db):
    by = {}
    for src, cidr, server, name in db.execute(
            "SELECT source, cidr, server, name FROM known_servers ORDER BY id"):
        e = {"ipBlock": cidr}
        if name:
            e["name"] = name
        if server:
            e["server"] = server
        by.setdefault(src, []).append(e)
    return [{"apiVersion": "netpol-record.io/v1alpha1", "kind": "KnownServer",
             "metadata": {"name": src}, "spec": spec}
            for src, spec in sorted(by.items())]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--now", type=int, default=int(time.time()))
    p.add_argument("--age", type=int, default=0)
    p.add_argument("--refresh", type=int, default=600)
    p.add_argument("--no-status", action="store_true")
    p.add_argument("--no-store-facts", action="store_true")
    p.add_argument("--split", type=int, default=1)
    p.add_argument("--no-known-servers", action="store_true")
    p.add_argument("stores", nargs="+")
    a = p.parse_args()
    items, seen = [], set()
    subjects = subjects_of([s.partition("=")[0] for s in a.stores])
    for s in a.stores:
        path, _, node = s.partition("=")
        for o in one_store(path, node or None, a, subjects):
            # A KnownServer imported into several stores is one object.
            key = (o["kind"], o["metadata"].get("namespace"),
                   o["metadata"]["name"])
            if key not in seen:
                seen.add(key)
                items.append(o)
    # dumps, not dump: the C encoder (dump to a stream is pure Python).
    sys.stdout.write(json.dumps({"apiVersion": "v1", "kind": "List",
                                 "items": items}, separators=(",", ":")))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
