#!/usr/bin/python3
"""The HTTP checks of tests/integration/test_fake_apiserver.sh: real
requests against a running tests/tools/fake_apiserver.py (started with
--crd tests/fixtures/k8s/kubescape-knownservers-crd.yaml).

  fakeapi_selftest.py URL CA_FILE TOKEN

Each check prints "ok: what"; the first failure prints "FAIL: what" with
what was received and exits 1.
"""
import copy
import http.client
import json
import os
import ssl
import sys
import time
from urllib.parse import quote, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakeapi_schema as fs  # noqa: E402

TOP = os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", ".."))
FIX = os.path.join(TOP, "tests", "fixtures", "k8s")
G = "/apis/netpol-record.io/v1alpha1"
TP = G + "/namespaces/shop/trafficprofiles"
APPLY = "application/apply-patch+yaml"
MGR = "fieldManager=netpol-recorderd&force=true"
URL = CTX = TOKEN = None


def fail(what, got=None):
    print("FAIL: %s" % what)
    if got is not None:
        print("  got: %s" % (json.dumps(got)[:2000] if not
                             isinstance(got, str) else got[:2000]))
    sys.exit(1)


def ok(what):
    print("ok: %s" % what)


def check(cond, what, got=None):
    if not cond:
        fail(what, got)


def conn():
    u = urlparse(URL)
    return http.client.HTTPSConnection(u.hostname, u.port, context=CTX,
                                       timeout=30)


def req(method, path, body=None, ctype=None, token=None, headers=None):
    c = conn()
    h = {"Authorization": "Bearer " + (token or TOKEN)}
    if ctype:
        h["Content-Type"] = ctype
    h.update(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        obj = json.loads(data) if data else None
    except ValueError:
        obj = data.decode(errors="replace")
    return r.status, dict(r.getheaders()), obj


def ctl(name, arg=None):
    c = conn()
    c.request("POST", "/_test/" + name, body=json.dumps(arg or {}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = json.loads(r.read())
    c.close()
    check(r.status == 200, "control %s" % name, data)
    return data


def get_ctl(name):
    c = conn()
    c.request("GET", "/_test/" + name)
    r = c.getresponse()
    data = json.loads(r.read())
    c.close()
    return data


def example(name):
    with open(os.path.join(FIX, name)) as f:
        return fs.yaml_load(f.read())


def tp_schema():
    """The openAPIV3Schema of TrafficProfile's spec (install/kubernetes)."""
    crd = fs.load_crds([os.path.join(TOP, "install", "kubernetes",
                                     "01-crd-trafficprofiles.yaml")])[0]
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"][
        "properties"]["spec"]


def apply(path, obj, query=MGR, ctype=APPLY):
    return req("PATCH", path + "?" + query, json.dumps(obj), ctype)


def refused_for(path, obj, where, value, reason, field, message, what):
    """An apply of obj with the field at where (keys) set to value is
    refused with exactly one cause, as the API words it."""
    bad = copy.deepcopy(obj)
    node = bad
    for k in where[:-1]:
        node = node[k]
    node[where[-1]] = value
    s, _, b = apply(path, bad)
    check(s == 422 and b["details"]["causes"] == [{
        "reason": reason, "field": field, "message": message}], what, b)


# ---- checks ----------------------------------------------------------------

def discovery():
    s, _, b = req("GET", "/apis")
    names = [g["name"] for g in b["groups"]]
    check(s == 200 and b["kind"] == "APIGroupList" and
          "netpol-record.io" in names and
          "spdx.softwarecomposition.kubescape.io" in names and
          "apps" in names, "discovery: /apis lists our group", b)
    s, _, b = req("GET", G)
    res = {r["name"]: r for r in b["resources"]}
    tp = res.get("trafficprofiles", {})
    check(s == 200 and b["kind"] == "APIResourceList" and
          tp.get("kind") == "TrafficProfile" and tp.get("namespaced") is True
          and tp.get("shortNames") == ["tp"] and "patch" in tp["verbs"] and
          res.get("recorderstatuses", {}).get("namespaced") is True and
          res.get("knownservers", {}).get("namespaced") is False,
          "discovery: the group's resources", b)
    s, _, b = req("GET", "/apis/spdx.softwarecomposition.kubescape.io/"
                  "v1beta1")
    check(s == 200 and b["resources"][0]["name"] == "knownservers" and
          b["resources"][0]["namespaced"] is False,
          "discovery: Kubescape's knownservers, cluster-scoped", b)
    s, _, b = req("GET", "/api/v1")
    check(s == 200 and any(r["name"] == "pods" for r in b["resources"]),
          "discovery: /api/v1", b)
    ok("discovery")


def not_found():
    for path in (G + "/namespaces/shop/nosuch", "/apis/nosuch.io/v1",
                 "/apis/nosuch.io/v1/nothings", "/apis/netpol-record.io/v9"):
        s, _, b = req("GET", path)
        check(s == 404 and b.get("kind") == "Status" and
              b.get("reason") == "NotFound" and b.get("code") == 404,
              "404 Status for %s" % path, b)
    s, _, b = req("GET", TP + "/absent")
    check(s == 404 and b["message"] ==
          'trafficprofiles.netpol-record.io "absent" not found' and
          b["details"] == {"name": "absent", "group": "netpol-record.io",
                           "kind": "trafficprofiles"},
          "404 for a missing object, worded as the API does", b)
    ok("404 for unknown resources and objects")


def apply_create_replace():
    tp = example("trafficprofile.yaml")
    name = tp["metadata"]["name"]
    s, _, b = apply(TP + "/" + name, tp)
    check(s == 201, "apply creates (201)", b)
    m = b["metadata"]
    rv1, uid = int(m["resourceVersion"]), m["uid"]
    check(m.get("creationTimestamp") and m.get("generation") == 1 and
          m["managedFields"][0]["manager"] == "netpol-recorderd" and
          m["managedFields"][0]["operation"] == "Apply" and
          "f:spec" in m["managedFields"][0]["fieldsV1"],
          "server-managed metadata and managedFields", m)
    check(b["spec"] == tp["spec"], "the stored spec is what was applied", b)
    s, _, b = req("GET", TP + "/" + name)
    check(s == 200 and b["spec"] == tp["spec"], "GET returns it", b)
    # The same again: nothing written, resourceVersion unchanged.
    s, _, b = apply(TP + "/" + name, tp)
    check(s == 200 and int(b["metadata"]["resourceVersion"]) == rv1,
          "an unchanged apply writes nothing", b["metadata"])
    # YAML, as the content type says, with a change and a label less.
    tp2 = copy.deepcopy(tp)
    tp2["spec"]["egress"][0]["peers"][0]["count"] += 1
    tp2["spec"]["publishedAt"] = "2024-05-01T11:01:00Z"
    del tp2["metadata"]["labels"]["netpol-record.io/node"]
    import yaml
    s, _, b = req("PATCH", TP + "/" + name + "?" + MGR,
                  yaml.safe_dump(tp2), APPLY)
    m = b["metadata"]
    check(s == 200 and int(m["resourceVersion"]) > rv1 and m["uid"] == uid
          and m["generation"] == 2 and
          b["spec"]["egress"][0]["peers"][0]["count"] ==
          tp["spec"]["egress"][0]["peers"][0]["count"] + 1 and
          "netpol-record.io/node" not in m["labels"],
          "apply replaces: resourceVersion up, a field no longer applied "
          "removed, uid kept", b)
    # Another manager's field stays; a conflicting one is refused
    # without force.
    s, _, b = req("PATCH", TP + "/" + name + "?fieldManager=admin",
                  json.dumps({"apiVersion": "netpol-record.io/v1alpha1",
                              "kind": "TrafficProfile",
                              "metadata": {"name": name, "labels": {
                                  "team": "web"}}}), APPLY)
    check(s == 200 and b["metadata"]["labels"]["team"] == "web",
          "a second manager adds a label", b)
    s, _, b = apply(TP + "/" + name, tp2)
    check(s == 200 and b["metadata"]["labels"].get("team") == "web",
          "our apply keeps the other manager's label", b)
    s, _, b = req("PATCH", TP + "/" + name + "?fieldManager=admin",
                  json.dumps({"apiVersion": "netpol-record.io/v1alpha1",
                              "kind": "TrafficProfile",
                              "metadata": {"name": name},
                              "spec": {"node": "node-z"}}), APPLY)
    check(s == 409 and b["reason"] == "Conflict" and
          b["details"]["causes"][0]["reason"] == "FieldManagerConflict" and
          'conflict with "netpol-recorderd"' in b["message"],
          "a conflicting apply without force: 409 with the field", b)
    ok("server-side apply creates, replaces, keeps others' fields")


def apply_errors():
    tp = example("trafficprofile.yaml")
    path = TP + "/" + tp["metadata"]["name"]
    s, _, before = req("GET", path)
    check(s == 200, "the profile is there before the refusals", before)
    s, _, b = apply(path, tp, ctype="application/json")
    check(s == 415 and b["reason"] == "UnsupportedMediaType",
          "415 for application/json", b)
    s, _, b = apply(path, tp, ctype="application/strategic-merge-patch+json")
    check(s == 415, "415 for a strategic merge patch", b)
    s, _, b = apply(path, tp, query="force=true")
    check(s == 422 and b["message"] == 'PatchOptions.meta.k8s.io "" is '
          'invalid: fieldManager: Required value: is required for apply '
          'patch', "no fieldManager: 422 as the API says", b)
    bad = copy.deepcopy(tp)
    eg, ig = bad["spec"]["egress"], bad["spec"]["ingress"]
    eg[1]["port"] = 70000
    ig[1]["protocol"] = "Up"
    eg[0]["peers"][1]["workload"] = "Deployment/cart"
    ig[0]["peers"][1]["address"] = "198.51.100.1"
    del ig[0]["peers"][0]["count"]
    eg[2]["peers"][0]["workload"] = "kube-system/Deploy/coredns"
    eg[0]["peers"][0]["firstSeen"] = eg[0]["peers"][0]["lastSeen"] + 1
    bad["spec"]["peerWorkloads"][0]["selector"]["matchExpressions"] = [
        {"key": "tier", "operator": "In"}]
    bad["spec"]["publishedAt"] = "yesterday"
    s, _, b = apply(path, bad)
    causes = {c["field"]: c for c in b.get("details", {}).get("causes", [])}
    want = {
        "spec.egress[1].port": ("FieldValueInvalid",
                                "Invalid value: 70000: spec.egress[1].port "
                                "in body should be less than or equal to "
                                "65535"),
        "spec.ingress[1].protocol": ("FieldValueNotSupported",
                                     'Unsupported value: "Up": supported '
                                     'values: "TCP", "UDP", "SCTP", "ICMP", '
                                     '"ICMPv6"'),
        "spec.egress[0].peers[1]": ("FieldValueInvalid",
                                    'Invalid value: "object": exactly one of '
                                    'workload, node, address, dns, unknown '
                                    'must be set'),
        "spec.ingress[0].peers[1]": ("FieldValueInvalid",
                                     'Invalid value: "object": exactly one '
                                     'of workload, node, address, unknown '
                                     'must be set'),
        "spec.ingress[0].peers[0].count": ("FieldValueRequired",
                                           "Required value"),
        "spec.egress[2].peers[0].workload": (
            "FieldValueInvalid",
            'Invalid value: "kube-system/Deploy/coredns": '
            "spec.egress[2].peers[0].workload in body should match '" +
            tp_schema()["properties"]["egress"]["items"]["properties"][
                "peers"]["items"]["properties"]["workload"]["pattern"] +
            "'"),
        "spec.egress[0].peers[0]": ("FieldValueInvalid",
                                    'Invalid value: "object": firstSeen must '
                                    'not be after lastSeen'),
        "spec.peerWorkloads[0].selector.matchExpressions[0]": (
            "FieldValueInvalid",
            'Invalid value: "object": values must be non-empty for In and '
            'NotIn and empty for Exists and DoesNotExist'),
        "spec.publishedAt": ("FieldValueInvalid", None),
    }
    check(s == 422 and b["reason"] == "Invalid" and
          b["message"].startswith('TrafficProfile.netpol-record.io '
                                  '"deployment-checkout-node-a" is invalid: [')
          and set(causes) == set(want) and
          all(causes[f]["reason"] == r and m in (None, causes[f]["message"])
              for f, (r, m) in want.items()),
          "schema and CEL violations: 422 with causes (range, enum, the "
          "exactly-one rules of both directions, required, pattern, "
          "firstSeen, selector values, date-time)", b)
    # A workload reference ends at the end of the text (Go's $).
    bad = copy.deepcopy(tp)
    bad["spec"]["ingress"][0]["peers"][0]["workload"] = "Deployment/frontend\n"
    s, _, b = apply(path, bad)
    check(s == 422 and b["details"]["causes"][0]["field"] ==
          "spec.ingress[0].peers[0].workload", "a reference with a newline "
          "after it: 422", b)
    refused_for(path, tp, ("spec", "entryCount"), 7, "FieldValueInvalid",
                "spec", 'Invalid value: "object": entryCount must equal '
                'the number of peers of egress and ingress', "entryCount rule")
    refused_for(path, tp, ("spec", "egress", 3, "port"), 8,
                "FieldValueInvalid", "spec.egress[3]", 'Invalid value: '
                '"object": port must be 0 for ICMP and ICMPv6',
                "ICMP port rule")
    # Two groups of one (protocol, port): the map list's keys.
    refused_for(path, tp, ("spec", "egress", 1, "port"), 443,
                "FieldValueDuplicate", "spec.egress[1]", 'Duplicate value: '
                'map[string]interface {}{"port":443, "protocol":"TCP"}',
                "a (protocol, port) twice: Duplicate value")
    # A DNS peer is an egress peer: the ingress peer has no dns.
    bad = copy.deepcopy(tp)
    bad["spec"]["ingress"][1]["peers"][0] = dict(
        bad["spec"]["egress"][0]["peers"][0])
    s, _, b = apply(path, bad)
    check(s == 400 and b["message"].endswith(
        ".spec.ingress[1].peers[0].dns: field not declared in schema"),
        "dns in an ingress peer: 400, not declared", b)
    bad = copy.deepcopy(tp)
    bad["spec"]["surprise"] = 1
    s, _, b = apply(path, bad)
    check(s == 400 and ".spec.surprise: field not declared in schema" in
          b["message"], "an undeclared field: 400", b)
    bad = copy.deepcopy(tp)
    bad["metadata"]["name"] = "other"
    s, _, b = apply(path, bad)
    check(s == 400 and "does not match the name on the URL" in b["message"],
          "a name other than the URL's: 400", b)
    s, _, b = req("GET", path)
    check(s == 200 and b["spec"] == before["spec"] and
          b["metadata"]["resourceVersion"] ==
          before["metadata"]["resourceVersion"],
          "refused applies changed nothing", b)
    # Bigger than the API's request limit.
    big = copy.deepcopy(tp)
    big["metadata"]["annotations"] = {"pad": "x" * (3 * 1024 * 1024)}
    s, _, b = apply(path, big)
    check(s == 413 and b["reason"] == "RequestEntityTooLarge" and
          b["message"] == "Request entity too large: limit is 3145728",
          "413 over 3 MiB", b)
    ok("apply refusals: 415, 422 (fieldManager, schema, CEL, list-map "
       "keys), 400, 413")


def other_kinds():
    rs = example("recorderstatus.yaml")
    path = G + "/namespaces/netpol-record/recorderstatuses/node-a"
    s, _, b = apply(path, rs)
    check(s == 201, "RecorderStatus example applies", b)
    bad = copy.deepcopy(rs)
    bad["spec"]["node"] = "node-b"
    s, _, b = apply(path, bad)
    check(s == 422 and "metadata.name must be the node's name" in
          b["message"], "RecorderStatus named after another node: 422", b)
    ks = example("knownserver.yaml")
    s, _, b = apply(G + "/knownservers/payments", ks)
    check(s == 201 and "namespace" not in b["metadata"],
          "KnownServer example applies, cluster-scoped", b)
    s, _, b = req("GET", G + "/namespaces/shop/knownservers/payments")
    check(s == 404, "no namespaced path for a cluster-scoped resource", b)
    bad = copy.deepcopy(ks)
    bad["spec"][0]["ipBlock"] = "198.51.100.300/24"
    s, _, b = apply(G + "/knownservers/payments", bad)
    check(s == 422 and b["details"]["causes"][0]["field"] ==
          "spec[0].ipBlock", "a bad CIDR: 422", b)
    kk = example("knownserver-kubescape.yaml")
    s, _, b = apply("/apis/spdx.softwarecomposition.kubescape.io/v1beta1/"
                    "knownservers/payments", kk)
    check(s == 201, "Kubescape's KnownServer applies", b)
    ok("RecorderStatus, KnownServer, Kubescape's KnownServer")


def bulk(n):
    base = example("trafficprofile.yaml")
    items = []
    for i in range(n):
        o = copy.deepcopy(base)
        kind = ("Deployment", "StatefulSet", "DaemonSet")[i % 3]
        o["metadata"]["name"] = fs.profile_name(kind, "w%04d" % i,
                                                "node-%d" % (i % 3))
        o["metadata"]["namespace"] = "bulk"
        o["metadata"].pop("ownerReferences")
        o["metadata"]["labels"] = {
            "app.kubernetes.io/managed-by": "netpol-record",
            "netpol-record.io/workload-kind": kind,
            "netpol-record.io/workload-name": "w%04d" % i,
            "netpol-record.io/node": "node-%d" % (i % 3)}
        if i % 10 == 0:
            o["metadata"]["labels"]["canary"] = "yes"
        o["spec"]["workload"]["kind"] = kind
        o["spec"]["workload"]["name"] = "w%04d" % i
        items.append(o)
    return items


def paging():
    items = bulk(2500)
    r = ctl("load", {"items": items, "validate": False})
    check(r.get("loaded") == 2500, "bulk load of 2,500 profiles", r)
    path = G + "/namespaces/bulk/trafficprofiles"
    seen, cont, pages, rv0 = [], None, 0, None
    while True:
        s, _, b = req("GET", path + "?limit=500" + (
            "&continue=" + quote(cont) if cont else ""))
        check(s == 200 and b["kind"] == "TrafficProfileList" and
              len(b["items"]) <= 500, "a page", b if s != 200 else None)
        if rv0 is None:
            rv0 = b["metadata"]["resourceVersion"]
            # A change between pages is not seen by a consistent list.
            extra = copy.deepcopy(items[0])
            extra["metadata"]["name"] = "zzz-added-between-pages"
            ctl("load", {"items": [extra]})
        check(b["metadata"]["resourceVersion"] == rv0,
              "every page at the first page's resourceVersion", b["metadata"])
        seen += [o["metadata"]["name"] for o in b["items"]]
        pages += 1
        cont = b["metadata"].get("continue")
        if cont:
            check(b["metadata"].get("remainingItemCount") == 2500 -
                  len(seen), "remainingItemCount", b["metadata"])
        else:
            break
    check(pages == 5 and len(seen) == 2500 and len(set(seen)) == 2500 and
          set(seen) == {o["metadata"]["name"] for o in items},
          "2,500 objects at limit=500: 5 pages, each object exactly once",
          "%d pages, %d names, %d distinct" % (pages, len(seen),
                                               len(set(seen))))
    s, _, b = req("GET", path)
    check(len(b["items"]) == 2501, "a new list sees the added object",
          len(b["items"]))
    # Expired continue: 410 with a token that goes on over the present.
    s, _, b = req("GET", path + "?limit=1000")
    ctl("expire")
    s, _, e = req("GET", path + "?limit=1000&continue=" +
                  quote(b["metadata"]["continue"]))
    check(s == 410 and e["reason"] == "Expired" and
          e["metadata"].get("continue"), "410 Expired after compaction", e)
    s, _, b2 = req("GET", path + "?limit=5000&continue=" +
                   quote(e["metadata"]["continue"]))
    check(s == 200 and len(b2["items"]) == 1501,
          "the 410's token continues the list", len(b2.get("items", [])))
    ok("paging: limit/continue, consistent snapshot, 410 Expired")
    return items


def selectors(items):
    path = G + "/namespaces/bulk/trafficprofiles"

    def count(sel, pred):
        want = sum(1 for o in items if pred(o["metadata"]["labels"]))
        got, cont = 0, None
        while True:
            s, _, b = req("GET", path + "?limit=700&labelSelector=" +
                          quote(sel) + ("&continue=" + quote(cont)
                                        if cont else ""))
            check(s == 200, "labelSelector %s" % sel, b)
            got += sum(1 for o in b["items"]
                       if o["metadata"]["name"] != "zzz-added-between-pages")
            cont = b["metadata"].get("continue")
            if not cont:
                break
        check(got == want, "labelSelector %s: %d objects" % (sel, want), got)
    k, n = "netpol-record.io/workload-kind", "netpol-record.io/node"
    count(k + "=Deployment", lambda l: l[k] == "Deployment")
    count(k + "==StatefulSet," + n + "=node-1",
          lambda l: l[k] == "StatefulSet" and l[n] == "node-1")
    count(n + "!=node-0", lambda l: l[n] != "node-0")
    count(n + " in (node-0, node-2)", lambda l: l[n] in ("node-0", "node-2"))
    count(n + " notin (node-0,node-2)",
          lambda l: l[n] not in ("node-0", "node-2"))
    count("canary", lambda l: "canary" in l)
    count("!canary", lambda l: "canary" not in l)
    count("netpol-record.io/workload-name=w0042", lambda l: l.get(
        "netpol-record.io/workload-name") == "w0042")
    s, _, b = req("GET", path + "?labelSelector=" + quote("a in b"))
    check(s == 400 and b["reason"] == "BadRequest", "a bad selector: 400", b)
    name = items[7]["metadata"]["name"]
    s, _, b = req("GET", path + "?fieldSelector=metadata.name%3D" + name)
    check(s == 200 and [o["metadata"]["name"] for o in b["items"]] ==
          [name], "fieldSelector metadata.name", b)
    s, _, b = req("GET", G + "/trafficprofiles?fieldSelector=" +
                  quote("metadata.namespace=shop"))
    check(s == 200 and len(b["items"]) == 1, "cluster-wide list with "
          "fieldSelector metadata.namespace", len(b["items"]))
    s, _, b = req("GET", path + "?fieldSelector=spec.node%3Dx")
    check(s == 400, "an unsupported field selector: 400", b)
    ok("labelSelector (=, ==, !=, in, notin, exists, !exists), "
       "fieldSelector")


def watch_and_delete():
    tp = example("trafficprofile.yaml")
    name = tp["metadata"]["name"]
    s, _, b = req("GET", TP)
    rv = b["metadata"]["resourceVersion"]
    c = conn()
    c.request("GET", TP + "?watch=1&resourceVersion=%s&timeoutSeconds=10" %
              rv, headers={"Authorization": "Bearer " + TOKEN})
    r = c.getresponse()
    check(r.status == 200, "watch starts")
    tp["spec"]["egress"][0]["peers"][0]["count"] = 99999
    apply(TP + "/" + name, tp)
    ev = json.loads(read_line(r))
    check(ev["type"] == "MODIFIED" and ev["object"]["spec"]["egress"][0][
        "peers"][0]["count"] == 99999, "watch: MODIFIED after an apply", ev)
    s, _, b = req("DELETE", TP + "/" + name)
    check(s == 200 and b["metadata"]["name"] == name,
          "DELETE answers 200 with the object", b)
    ev = json.loads(read_line(r))
    check(ev["type"] == "DELETED", "watch: DELETED", ev)
    c.close()
    s, _, b = req("GET", TP + "/" + name)
    check(s == 404, "gone after DELETE", b)
    s, _, b = req("DELETE", TP + "/" + name)
    check(s == 404, "DELETE of a missing object: 404", b)
    ok("watch and DELETE")


def read_line(r):
    line = b""
    while not line.endswith(b"\n"):
        ch = r.read(1)
        if not ch:
            break
        line += ch
    return line


def gc():
    dep = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "checkout", "namespace": "shop",
                        "uid": "6b1f0c3e-2a4d-4c1b-9a57-0d2f5e8c7a10"},
           "spec": {"selector": {"matchLabels": {"app": "checkout"}}}}
    tp = example("trafficprofile.yaml")
    path = TP + "/" + tp["metadata"]["name"]

    def setup():
        ctl("load", {"items": [dep]})
        s, _, b = apply(path, tp)
        check(s in (200, 201), "profile owned by the Deployment", b)

    def gone_within(seconds):
        end = time.time() + seconds
        while time.time() < end:
            if req("GET", path)[0] == 404:
                return True
            time.sleep(0.1)
        return False
    setup()
    s, _, b = req("DELETE", "/apis/apps/v1/namespaces/shop/deployments/"
                  "checkout")
    check(s == 200, "delete the owner", b)
    check(gone_within(5), "the owner's delete cascades (GC)")
    ctl("mode", {"gc": False})
    setup()
    req("DELETE", "/apis/apps/v1/namespaces/shop/deployments/checkout")
    check(not gone_within(1.5), "without GC the dependent stays")
    ctl("mode", {"gc": None})
    req("DELETE", path)
    setup()
    s, _, b = req("DELETE", "/apis/apps/v1/namespaces/shop/deployments/"
                  "checkout?propagationPolicy=Orphan")
    time.sleep(0.5)
    s, _, b = req("GET", path)
    check(s == 200 and "ownerReferences" not in b["metadata"],
          "Orphan: the dependent stays without the reference", b)
    ctl("mode", {"gc_dangling": True})
    s, _, b = apply(path, tp)    # its owner does not exist
    check(gone_within(5), "gc_dangling: an object whose owner never "
          "existed is collected")
    ctl("mode", {"gc_dangling": None})
    ok("ownerReference garbage collection, Orphan, no-GC mode")


def faults():
    tp = example("trafficprofile.yaml")
    del tp["metadata"]["ownerReferences"]   # its owner is gone (gc())
    path = TP + "/" + tp["metadata"]["name"]
    ctl("mode", {"conflict": {"count": 2, "resource": "trafficprofiles"}})
    codes = [apply(path, tp)[0] for _ in range(3)]
    check(codes[:2] == [409, 409] and codes[2] in (200, 201),
          "409 for the next 2 writes, then through", codes)
    s, _, b = req("GET", path)
    check(s == 200, "reads pass a conflict fault", s)
    ctl("mode", {"throttle": {"count": 1, "retryAfter": 3}})
    s, h, b = req("GET", path)
    check(s == 429 and h.get("Retry-After") == "3" and
          b["reason"] == "TooManyRequests" and
          b["details"]["retryAfterSeconds"] == 3, "429 with Retry-After", b)
    check(req("GET", path)[0] == 200, "then through")
    ctl("mode", {"error": {"count": 2, "verb": "patch"}})
    s, _, b = apply(path, tp)
    s2, _, b2 = apply(path, tp)
    check(s == 500 and s2 == 500 and b["reason"] == "InternalError" and
          apply(path, tp)[0] == 200, "500 for 2 patches, then through", b)
    ctl("mode", {"error": {"count": 1, "code": 503}})
    s, _, b = req("GET", path)
    check(s == 503 and b["reason"] == "ServiceUnavailable", "503", b)
    s, _, b = req("GET", path, token="not-a-token")
    check(s == 401 and b["reason"] == "Unauthorized", "401 for a bad token",
          b)
    ctl("mode", {"unauthorized": {"count": 1}})
    check(req("GET", path)[0] == 401 and req("GET", path)[0] == 200,
          "401 once for a good token, on demand")
    ctl("mode", {"forbid": {"resource": "trafficprofiles", "verb": "list"}})
    s, _, b = req("GET", TP)
    check(s == 403 and b["reason"] == "Forbidden" and b["message"] ==
          'trafficprofiles.netpol-record.io is forbidden: User '
          '"system:serviceaccount:netpol-record:netpol-recorderd" cannot list '
          'resource "trafficprofiles" in API group "netpol-record.io" in the '
          'namespace "shop"', "403 worded as the API does (list)", b)
    s, _, b = req("GET", G + "/trafficprofiles")
    check(s == 403 and b["message"].endswith("at the cluster scope"),
          "403 at the cluster scope", b)
    ctl("mode", {"forbid": {"resource": "trafficprofiles", "verb": "patch",
                            "user": "alice"}})
    s, _, b = apply(path, tp)
    check(s == 403 and b["message"] ==
          'trafficprofiles.netpol-record.io "deployment-checkout-node-a" is '
          'forbidden: User "alice" cannot patch resource "trafficprofiles" in'
          ' API group "netpol-record.io" in the namespace "shop"',
          "403 for a named object", b)
    ctl("mode", {"forbid": None})
    ctl("mode", {"malformed": {"resource": "trafficprofiles",
                               "how": "egress", "count": 1}})
    s, _, b = req("GET", TP)
    check(s == 200 and b["items"][0]["spec"]["egress"] == "not a list",
          "a malformed object inside a list", b)
    s, _, b = req("GET", TP)
    check(isinstance(b["items"][0]["spec"]["egress"], list),
          "malformed only for the count asked", b)
    ok("faults: 409, 429 Retry-After, 500, 503, 401, 403, malformed item")


def crd_missing():
    ctl("crd", {"name": "trafficprofiles.netpol-record.io",
                "installed": False})
    s, _, b = req("GET", G)
    check(all(r["name"] != "trafficprofiles" for r in b["resources"]),
          "uninstalled: not in discovery", b)
    s, _, b = req("GET", TP)
    check(s == 404 and b["message"] == "the server could not find the "
          "requested resource", "uninstalled: list is 404", b)
    tp = example("trafficprofile.yaml")
    s, _, b = apply(TP + "/" + tp["metadata"]["name"], tp)
    check(s == 404, "uninstalled: apply is 404", b)
    ctl("crd", {"name": "trafficprofiles.netpol-record.io"})
    s, _, b = req("GET", TP)
    check(s == 200 and b["items"] == [], "installed again, empty", b)
    s, _, b = apply(TP + "/" + tp["metadata"]["name"], tp)
    check(s == 201, "installed again: apply creates", b)
    ok("a CRD not installed: 404, then installed")


def stats_check():
    tp = example("trafficprofile.yaml")
    del tp["metadata"]["ownerReferences"]
    s, _, b = req("GET", TP + "/" + tp["metadata"]["name"])
    st = get_ctl("stats")
    q = "trafficprofiles.netpol-record.io"
    size = st["objects"][q]["sizes"]["shop/" + tp["metadata"]["name"]]
    check(size == len(json.dumps(b, separators=(",", ":"))),
          "stats: the stored size is the object's compact JSON", size)
    check(st["requests"].get("patch " + q, 0) > 10 and
          st["requests"].get("list " + q, 0) > 5 and
          st["bytesReceived"].get(q, 0) > 50000 and
          st["objects"][q]["count"] >= 2501,
          "stats: requests per verb and resource, bytes", st)
    ok("stats")


def main():
    global URL, CTX, TOKEN
    URL, ca, TOKEN = sys.argv[1:4]
    CTX = ssl.create_default_context(cafile=ca)
    discovery()
    not_found()
    apply_create_replace()
    apply_errors()
    other_kinds()
    items = paging()
    selectors(items)
    watch_and_delete()
    gc()
    faults()
    stats_check()
    crd_missing()
    print("all checks passed")


if __name__ == "__main__":
    main()
