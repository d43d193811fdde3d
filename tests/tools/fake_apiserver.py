#!/usr/bin/python3
"""A stand-in for kube-apiserver, for the tests of netpol-record's API
clients (the metadata watcher, the TrafficProfile publisher and reader).

No real kube-apiserver runs on the test machines, so this speaks the parts
of the protocol those clients use, over HTTPS on 127.0.0.1, following the
API's documented behaviour. The full reference (endpoints, what each
returns, every control) is tests/tools/README.md; in short:

  Built-in resources (read from --fixture/--seed, changed by /_test/event):
  pods, namespaces, nodes, replicationcontrollers, replicasets,
  deployments, statefulsets, daemonsets, jobs, cronjobs: get, list,
  watch, delete (a delete cascades to dependents: ownerReference GC).

  Custom resources of the CRDs in install/kubernetes/ (and --crd FILE):
  get, list, watch, create (POST), update (PUT), patch (server-side apply
  application/apply-patch+yaml, and application/merge-patch+json),
  delete, deletecollection; every stored object validated against the
  CRD's openAPIV3Schema (python3-jsonschema) and the Python mirrors of its
  CEL rules (fakeapi_schema.py): 422 Invalid with causes otherwise.

  Lists: labelSelector, fieldSelector (metadata.name, metadata.namespace),
  limit/continue (opaque tokens over a snapshot; 410 Expired after
  /_test/expire), resourceVersion. Watch: ADDED/MODIFIED/DELETED/BOOKMARK.
  Discovery: /api, /api/v1, /apis, /apis/G, /apis/G/V, /version.
  Bodies over 3 MiB: 413. Authorization: Bearer <a token of --token-file>
  (one token per line, optionally followed by a user name), or a client
  certificate signed by --client-ca (the user is its CN).

Test controls (no authentication, same port): /_test/... (README).

Python standard library, python3-yaml and python3-jsonschema.
"""
import argparse
import base64
import bisect
import collections
import copy
import glob
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakeapi_objects as fo  # noqa: E402
import fakeapi_schema as fs  # noqa: E402

BODY_LIMIT = 3 * 1024 * 1024            # kube-apiserver's request limit
ETCD_LIMIT = 1536 * 1024                # etcd's default request limit
TOP = os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", ".."))
DEFAULT_USER = "system:serviceaccount:netpol-record:netpol-recorderd"
CR_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch",
            "update", "watch"]
RO_VERBS = ["delete", "get", "list", "watch"]


class Res:
    """One served resource."""

    def __init__(self, group, version, kind, plural, namespaced,
                 singular="", short=(), schema=None, crd=None,
                 verbs=RO_VERBS, fields=()):
        self.group, self.version, self.kind = group, version, kind
        self.plural, self.namespaced = plural, namespaced
        self.singular = singular or kind.lower()
        self.short, self.schema, self.crd = list(short), schema, crd
        self.verbs = verbs
        self.gkey = (group, plural)
        self.qualified = plural + ("." + group if group else "")
        self.api_version = group + "/" + version if group else version
        self.fields = ("metadata.name", "metadata.namespace") + tuple(fields)

    def discovery(self):
        d = {"name": self.plural, "singularName": self.singular,
             "namespaced": self.namespaced, "kind": self.kind,
             "verbs": self.verbs}
        if self.short:
            d["shortNames"] = self.short
        if self.crd is not None:
            cats = self.crd["spec"]["names"].get("categories")
            if cats:
                d["categories"] = cats
        return d


BUILTIN = [
    Res("", "v1", "Pod", "pods", True,
        fields=("spec.nodeName", "status.phase")),
    Res("", "v1", "Namespace", "namespaces", False),
    Res("", "v1", "Node", "nodes", False),
    Res("", "v1", "ReplicationController", "replicationcontrollers", True),
    Res("apps", "v1", "ReplicaSet", "replicasets", True),
    Res("apps", "v1", "Deployment", "deployments", True),
    Res("apps", "v1", "StatefulSet", "statefulsets", True),
    Res("apps", "v1", "DaemonSet", "daemonsets", True),
    Res("batch", "v1", "Job", "jobs", True),
    Res("batch", "v1", "CronJob", "cronjobs", True),
]
CRD_RES = Res("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
              "customresourcedefinitions", False, verbs=["get", "list"])


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def okey(obj):
    m = obj.get("metadata", {})
    return m.get("namespace", "") + "/" + m.get("name", "")


def compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def status(code, reason, message, details=None):
    s = {"kind": "Status", "apiVersion": "v1", "metadata": {},
         "status": "Failure", "message": message, "reason": reason,
         "code": code}
    if details is not None:
        s["details"] = details
    return s


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None, headers=()):
        super().__init__(message)
        self.body = status(code, reason, message, details)
        self.code, self.headers = code, list(headers)


def not_found(res, name):
    return ApiError(404, "NotFound", '%s "%s" not found' %
                    (res.qualified, name),
                    {"name": name, "group": res.group, "kind": res.plural})


def bad_request(message):
    return ApiError(400, "BadRequest", message)


class State:
    def __init__(self):
        self.cond = threading.Condition()
        self.rv = 1000
        self.res = {}            # gkey -> Res (served now)
        self.paths = {}          # (group, version, plural) -> Res
        self.objects = collections.defaultdict(dict)   # gkey -> key -> obj
        self.owners = {}         # (gkey, key) -> {manager: set(paths)}
        self.sizes = {}          # (gkey, key) -> stored JSON bytes
        self.uids = {}           # uid -> (gkey, key)
        self.deleted_uids = set()
        self.events = []         # (rv, gkey, type, obj, old)
        self.compacted = 0
        self.drop_gen = 0
        self.expire_gen = 0
        self.mode = {}
        self.requests = []       # GET paths (legacy /_test/requests)
        self.log = []            # {"verb", "path", "code"}
        self.stats = collections.Counter()
        self.bytes_in = collections.Counter()
        self.bytes_out = collections.Counter()
        self.writes = collections.Counter()
        self.warnings = 0
        self.snapshots = collections.OrderedDict()
        self.crds = {}           # name -> CRD document
        self.crd_res = {}        # name -> [Res]
        self.installed = set()
        self.conns = set()
        self.gc_wake = threading.Event()

    # -- resources
    def serve(self, res):
        self.res[res.gkey] = res
        self.paths[(res.group, res.version, res.plural)] = res

    def unserve(self, res):
        self.res.pop(res.gkey, None)
        self.paths.pop((res.group, res.version, res.plural), None)

    def res_of(self, api_version, kind):
        for r in self.res.values():
            if r.kind == kind and (api_version is None or
                                   r.api_version == api_version):
                return r
        return None

    # -- storage (callers hold cond)
    def put(self, res, obj, etype="ADDED", record=True):
        key = okey(obj)
        old = self.objects[res.gkey].get(key)
        self.rv += 1
        meta = obj.setdefault("metadata", {})
        meta["resourceVersion"] = str(self.rv)
        if etype == "DELETED":
            self.objects[res.gkey].pop(key, None)
            self.sizes.pop((res.gkey, key), None)
            self.owners.pop((res.gkey, key), None)
            if meta.get("uid") and \
                    self.uids.get(meta["uid"]) == (res.gkey, key):
                del self.uids[meta["uid"]]
                self.deleted_uids.add(meta["uid"])
            self.gc_wake.set()
        else:
            self.objects[res.gkey][key] = obj
            self.sizes[(res.gkey, key)] = len(compact(obj))
            if meta.get("uid"):
                self.uids[meta["uid"]] = (res.gkey, key)
                self.deleted_uids.discard(meta["uid"])
            if meta.get("ownerReferences"):
                self.gc_wake.set()
        if record:
            self.events.append((self.rv, res.gkey, etype, obj, old))
        self.cond.notify_all()

    def delete(self, res, key, record=True):
        obj = self.objects[res.gkey].get(key)
        if obj is None:
            return None
        gone = copy.deepcopy(obj)
        self.put(res, gone, "DELETED", record)
        return gone


STATE = State()
ARGS = None
SERVER = None


# ---- CRDs ----------------------------------------------------------------

def install_crd(crd):
    name = crd["metadata"]["name"]
    spec = crd["spec"]
    out = []
    for v in spec["versions"]:
        if not v.get("served", True):
            continue
        names = spec["names"]
        out.append(Res(spec["group"], v["name"], names["kind"],
                       names["plural"], spec.get("scope") == "Namespaced",
                       names.get("singular", ""), names.get("shortNames", ()),
                       fs.Schema(crd, v), crd, CR_VERBS))
    STATE.crds[name] = crd
    STATE.crd_res[name] = out
    STATE.installed.add(name)
    for r in out:
        STATE.serve(r)


def uninstall_crd(name):
    """As deleting a CRD does: its objects go, watches end, 404 after."""
    for r in STATE.crd_res.get(name, []):
        for key in list(STATE.objects[r.gkey]):
            STATE.delete(r, key)
        STATE.unserve(r)
    STATE.installed.discard(name)


# ---- garbage collection ----------------------------------------------------

def gc_loop():
    while True:
        STATE.gc_wake.wait()
        time.sleep(float(STATE.mode.get("gc_delay", ARGS.gc_delay)))
        STATE.gc_wake.clear()
        with STATE.cond:
            if not STATE.mode.get("gc", not ARGS.no_gc):
                continue
            gc_sweep()


def gc_sweep():
    """Delete every object all of whose owners are gone (background
    propagation), as the garbage collector does; repeat for chains."""
    changed = True
    while changed:
        changed = False
        for gkey, objs in list(STATE.objects.items()):
            res = STATE.res.get(gkey)
            if res is None:
                continue
            for key, obj in list(objs.items()):
                refs = obj.get("metadata", {}).get("ownerReferences")
                if refs and all(owner_gone(r) for r in refs):
                    STATE.delete(res, key)
                    changed = True


def owner_gone(ref):
    """An owner deleted here is gone. One never seen (a dangling
    reference, which the real collector also removes) only with
    gc_dangling: the fixtures name owners they do not hold on purpose."""
    if ref.get("uid") in STATE.deleted_uids:
        return True
    if not STATE.mode.get("gc_dangling", ARGS.gc_dangling):
        return False
    r = STATE.res_of(ref.get("apiVersion"), ref.get("kind"))
    if r is None:
        return False            # a kind we do not serve: cannot tell
    return ref.get("uid") not in STATE.uids


# ---- continue tokens -------------------------------------------------------

def token(d):
    return base64.urlsafe_b64encode(compact(d).encode()).decode().rstrip("=")


def untoken(t):
    try:
        return json.loads(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)))
    except (ValueError, TypeError):
        raise bad_request("continue key is not valid: %s" % t)


# ---- HTTP ------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body are two writes: with Nagle's algorithm the
    # second waits for the client's delayed ACK of the first (40 ms), a
    # cost per request no API server has.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        with STATE.cond:
            STATE.conns.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with STATE.cond:
                STATE.conns.discard(self.connection)

    # -- output
    def send_json(self, code, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.sent = len(body)
        self.code = code

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    # -- input
    def read_body(self, limit=BODY_LIMIT):
        """The body, or None after answering 413."""
        n = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data, too_big = b"", False
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                part = self.rfile.read(size)
                self.rfile.readline()
                if len(data) + len(part) > limit:
                    too_big = True
                else:
                    data += part
        else:
            n = int(n or 0)
            too_big = n > limit
            data = b""
            left = n
            while left > 0:     # read it all, so the answer arrives
                part = self.rfile.read(min(left, 1 << 20))
                if not part:
                    break
                left -= len(part)
                if not too_big:
                    data += part
        if too_big:
            self.send_json(413, status(413, "RequestEntityTooLarge",
                                       "Request entity too large: limit is "
                                       "%d" % limit))
            return None
        return data

    def user(self):
        """The authenticated user, or None."""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            tok = auth[7:].strip()
            with open(ARGS.token_file) as f:
                for line in f:
                    parts = line.split()
                    if parts and parts[0] == tok:
                        return parts[1] if len(parts) > 1 else DEFAULT_USER
        try:
            cert = self.connection.getpeercert()
        except (AttributeError, ValueError):
            cert = None
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        return v
        return None

    def handle_expect_100(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > BODY_LIMIT and not self.path.startswith("/_test/"):
            self.send_json(413, status(413, "RequestEntityTooLarge",
                                       "Request entity too large: limit is "
                                       "%d" % BODY_LIMIT))
            self.close_connection = True
            return False
        return super().handle_expect_100()

    def do_GET(self):
        self.any("GET")

    def do_POST(self):
        self.any("POST")

    def do_PUT(self):
        self.any("PUT")

    def do_PATCH(self):
        self.any("PATCH")

    def do_DELETE(self):
        self.any("DELETE")

    def any(self, method):
        self.sent, self.code = 0, 0
        url = urlparse(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query,
                                           keep_blank_values=True).items()}
        if url.path.startswith("/_test/"):
            body = self.read_body(1 << 30)
            if body is not None:
                self.control(method, url.path, q, body)
            return
        body = self.read_body()
        if body is None:
            return
        user = self.user()
        with STATE.cond:
            if method == "GET":
                STATE.requests.append(("" if user else "UNAUTHORIZED ") +
                                      self.path)
            unauth = STATE.mode.get("unauthorized")
            if user and unauth and self.take(unauth, None, None, None, None):
                user = None
        try:
            if user is None:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            self.route(method, url.path, q, body, user)
        except ApiError as e:
            self.send_json(e.code, e.body, e.headers)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        except Exception as e:  # a bug here: say it, do not hang up
            import traceback
            traceback.print_exc()
            self.send_json(500, status(500, "InternalError",
                                       "fake_apiserver: %r" % e))
        finally:
            with STATE.cond:
                STATE.log.append({"verb": method, "path": self.path,
                                  "code": self.code})

    # -- faults
    def take(self, rule, verb, res, ns, name):
        """Whether rule (a /_test/mode value) applies to this request;
        counts it down."""
        if rule is None or rule is False:
            return False
        if isinstance(rule, str):
            rule = {"resource": rule}
        if not isinstance(rule, dict):
            return True
        for k, v in (("verb", verb), ("resource", res and res.plural),
                     ("namespace", ns), ("name", name)):
            if rule.get(k) is not None:
                want = rule[k] if isinstance(rule[k], list) else [rule[k]]
                if v not in want:
                    return False
        if rule.get("count") is not None:
            if rule["count"] <= 0:
                return False
            rule["count"] -= 1
        return True

    def faults(self, verb, res, ns, name, user, size=0):
        with STATE.cond:
            m = STATE.mode
            limit = m.get("body_limit")
            too_big = isinstance(limit, dict) and \
                size > int(limit.get("bytes", BODY_LIMIT)) and \
                self.take(limit, verb, res, ns, name)
            writes = ("create", "update", "patch", "delete",
                      "deletecollection")
            hang = self.take(m.get("hang"), verb, res, ns, name)
            forbid = m.get("forbid")
            forbidden = self.take(forbid, verb, res, ns, name)
            conflict = verb in writes and self.take(m.get("conflict"), verb,
                                                    res, ns, name)
            throttle = m.get("throttle")
            throttled = self.take(throttle, verb, res, ns, name)
            error = m.get("error")
            failed = self.take(error, verb, res, ns, name)
            hang_gen = STATE.drop_gen
        if too_big:
            raise ApiError(413, "RequestEntityTooLarge",
                           "Request entity too large: limit is %d" %
                           int(limit.get("bytes")))
        if hang:
            # Accept, read, never answer: until the mode is cleared, the
            # server goes down, or the client gives up.
            while True:
                with STATE.cond:
                    STATE.cond.wait(0.2)
                    if not STATE.mode.get("hang") or \
                            STATE.drop_gen != hang_gen:
                        break
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if forbidden:
            who = forbid.get("user", user) if isinstance(forbid, dict) \
                else user
            scope = ' in the namespace "%s"' % ns if ns else \
                " at the cluster scope"
            what = '%s "%s"' % (res.qualified, name) if name else \
                res.qualified
            raise ApiError(403, "Forbidden",
                           '%s is forbidden: User "%s" cannot %s resource '
                           '"%s" in API group "%s"%s' %
                           (what, who, verb, res.plural, res.group, scope),
                           {"name": name or None, "group": res.group,
                            "kind": res.plural})
        if conflict:
            raise ApiError(409, "Conflict",
                           'Operation cannot be fulfilled on %s "%s": the '
                           'object has been modified; please apply your '
                           'changes to the latest version and try again' %
                           (res.qualified, name or ""),
                           {"name": name, "group": res.group,
                            "kind": res.plural})
        if throttled:
            after = str((throttle.get("retryAfter", 1)
                         if isinstance(throttle, dict) else 1))
            raise ApiError(429, "TooManyRequests",
                           "Too many requests, please try again later.",
                           {"retryAfterSeconds": int(after)},
                           [("Retry-After", after)])
        if failed:
            code = error.get("code", 500) if isinstance(error, dict) else 500
            reason = {500: "InternalError", 503: "ServiceUnavailable",
                      504: "Timeout"}.get(code, "InternalError")
            msg = {500: "an error on the server (\"fake: injected\") has "
                   "prevented the request from succeeding",
                   503: "the server is currently unable to handle the "
                   "request", 504: "the server was unable to return a "
                   "response in the time allotted"}.get(code, "injected")
            raise ApiError(code, reason, msg)
        return False

    # -- routing
    def route(self, method, path, q, body, user):
        parts = [p for p in path.split("/") if p]
        if path in ("/version", "/version/"):
            self.send_json(200, {"major": "1", "minor": "31",
                                 "gitVersion": "v1.31.0-netpol-record-test",
                                 "platform": "linux/amd64"})
            return
        if parts[:1] == ["api"]:
            group, rest = "", parts[1:]
        elif parts[:1] == ["apis"]:
            if len(parts) == 1:
                return self.send_json(200, self.group_list())
            group, rest = parts[1], parts[2:]
            if not rest:
                return self.send_json(200, self.group(group))
        else:
            raise ApiError(404, "NotFound", "the server could not find the "
                           "requested resource")
        if not rest:
            return self.send_json(200, {"kind": "APIVersions",
                                        "versions": ["v1"],
                                        "serverAddressByClientCIDRs": [{
                                            "clientCIDR": "0.0.0.0/0",
                                            "serverAddress": "127.0.0.1:%d" %
                                            ARGS.port_number}]})
        version, rest = rest[0], rest[1:]
        if not rest:
            return self.send_json(200, self.resource_list(group, version))
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        plural, name = rest[0], rest[1] if len(rest) > 1 else None
        with STATE.cond:
            res = STATE.paths.get((group, version, plural))
        if res is None or len(rest) > 2 or (ns and not res.namespaced):
            raise ApiError(404, "NotFound", "the server could not find the "
                           "requested resource")
        verb = {"GET": "get" if name else ("watch" if q.get("watch") in
                                           ("1", "true") else "list"),
                "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection"}[method]
        with STATE.cond:
            STATE.stats["%s %s" % (verb, res.qualified)] += 1
            STATE.bytes_in[res.qualified] += len(body)
        if self.faults(verb, res, ns, name, user, len(body)):
            return
        if verb not in res.verbs or (method == "POST" and name):
            raise ApiError(405, "MethodNotAllowed", "the server does not "
                           "allow this method on the requested resource")
        getattr(self, "v_" + verb)(res, ns, name, q, body)
        with STATE.cond:
            STATE.bytes_out[res.qualified] += self.sent

    def group_list(self):
        with STATE.cond:
            groups = {}
            for r in STATE.res.values():
                if r.group:
                    groups.setdefault(r.group, set()).add(r.version)
        return {"kind": "APIGroupList", "apiVersion": "v1",
                "groups": [self.group_doc(g, sorted(v))
                           for g, v in sorted(groups.items())]}

    @staticmethod
    def group_doc(g, versions):
        vs = [{"groupVersion": "%s/%s" % (g, v), "version": v}
              for v in versions]
        return {"name": g, "versions": vs, "preferredVersion": vs[0]}

    def group(self, g):
        with STATE.cond:
            vs = sorted({r.version for r in STATE.res.values()
                         if r.group == g})
        if not vs:
            raise ApiError(404, "NotFound", "the server could not find the "
                           "requested resource")
        d = self.group_doc(g, vs)
        d.update({"kind": "APIGroup", "apiVersion": "v1"})
        return d

    def resource_list(self, g, v):
        with STATE.cond:
            rs = [r.discovery() for r in STATE.res.values()
                  if r.group == g and r.version == v]
        if not rs:
            raise ApiError(404, "NotFound", "the server could not find the "
                           "requested resource")
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": "%s/%s" % (g, v) if g else v,
                "resources": sorted(rs, key=lambda d: d["name"])}

    # -- reads
    def shown(self, res, obj):
        if res.crd is None and res is not CRD_RES:
            # Typed lists of built-ins carry no kind, as in the real API.
            return {k: v for k, v in obj.items()
                    if k not in ("kind", "apiVersion")}
        return obj

    def v_get(self, res, ns, name, q, body):
        with STATE.cond:
            obj = STATE.objects[res.gkey].get((ns or "") + "/" + name)
        if obj is None:
            raise not_found(res, name)
        self.send_json(200, obj)

    def selectors(self, res, q):
        try:
            return (fo.parse_label_selector(q.get("labelSelector", "")),
                    fo.parse_field_selector(q.get("fieldSelector", ""),
                                            res.fields))
        except fo.SelectorError as e:
            raise bad_request(str(e))

    @staticmethod
    def matches(obj, ns, lsel, fsel):
        return (ns is None or obj.get("metadata", {}).get("namespace") == ns)\
            and fo.labels_match(lsel, obj.get("metadata", {}).get("labels"))\
            and fo.fields_match(fsel, obj)

    def v_list(self, res, ns, name, q, body):
        lsel, fsel = self.selectors(res, q)
        with STATE.cond:
            huge = STATE.mode.get("huge_list") == res.plural
            trunc = STATE.mode.get("truncate_list") == res.plural
            malformed = STATE.mode.get("malformed")
            if not self.take(malformed, "list", res, ns, None):
                malformed = None
        if huge:
            return self.huge_list(res.kind)
        limit = int(q.get("limit", "0") or 0)
        cont = q.get("continue")
        expired = None
        with STATE.cond:
            if cont:
                t = untoken(cont)
                snap = STATE.snapshots.get(t.get("s"))
                if snap is None or t.get("rv", 0) < STATE.compacted:
                    expired = t
                else:
                    rv, keys, objs = snap
                    start = bisect.bisect_right(keys, t.get("k", ""))
            if not cont or expired:
                objs_now = STATE.objects[res.gkey]
                # A namespace's list reads its namespace's objects only, as
                # the API server's storage does (keys under the namespace's
                # prefix): its cost is not the whole resource's.
                keys = sorted(objs_now) if ns is None else \
                    sorted(k for k in objs_now if k.startswith(ns + "/"))
                objs = [objs_now[k] for k in keys]
                rv = STATE.rv
                start = bisect.bisect_right(keys, expired.get("k", "")) \
                    if expired else 0
        if expired is not None:
            # As the API does: 410, with a token that continues from
            # here over the current state (an inconsistent list).
            sid = self.snapshot(rv, keys, objs)
            e = ApiError(410, "Expired",
                           "The provided continue parameter is too old to "
                           "display a consistent list result. You can start "
                           "a new list without the continue parameter, or "
                           "use the continue token in this response to "
                           "retrieve the remainder of the results. "
                           "Continuing with the provided token results in "
                           "an inconsistent list - objects that were "
                           "created, modified, or deleted between the time "
                           "the first chunk was returned and now may show up"
                           " in the list.")
            e.body["metadata"]["continue"] = token({
                "s": sid, "rv": rv, "k": expired.get("k", "")})
            raise e
        page, i = [], start
        while i < len(keys) and (not limit or len(page) < limit):
            if self.matches(objs[i], ns, lsel, fsel):
                page.append(objs[i])
            i += 1
        meta = {"resourceVersion": str(rv)}
        left = sum(1 for o in objs[i:] if self.matches(o, ns, lsel, fsel)) \
            if limit else 0
        if left:
            sid = untoken(cont).get("s") if cont and expired is None else \
                self.snapshot(rv, keys, objs)
            meta["continue"] = token({"s": sid, "rv": rv, "k": keys[i - 1]})
            if not (lsel or fsel):
                meta["remainingItemCount"] = left
        items = [self.shown(res, o) for o in page]
        if malformed:
            items = self.break_item(items, malformed)
        body = json.dumps({"kind": res.kind + "List",
                           "apiVersion": res.api_version,
                           "metadata": meta, "items": items}).encode()
        if trunc:
            body = body[:len(body) // 2]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.sent, self.code = len(body), 200

    @staticmethod
    def snapshot(rv, keys, objs):
        with STATE.cond:
            sid = uuid.uuid4().hex[:12]
            STATE.snapshots[sid] = (rv, keys, objs)
            while len(STATE.snapshots) > 64:
                STATE.snapshots.popitem(last=False)
            return sid

    @staticmethod
    def break_item(items, how):
        if not items:
            return items
        how = how if isinstance(how, dict) else {}
        i = min(int(how.get("index", 0)), len(items) - 1)
        kind = how.get("how", "type")
        items = list(items)
        bad = copy.deepcopy(items[i])
        if kind == "notobject":
            bad = 42
        elif kind == "missing":
            bad.pop("spec", None)
        elif kind in ("egress", "ingress", "peerWorkloads", "dnsNames"):
            bad.setdefault("spec", {})[kind] = "not a list"
        else:
            bad["spec"] = "not an object"
        items[i] = bad
        return items

    def huge_list(self, kind):
        """About 100 MB of a valid List, chunked: the client must refuse
        it at its size limit, not buffer it all."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        item = json.dumps({"metadata": {"name": "x" * 200,
                                        "namespace": "bulk"}}) + ","
        block = (item * (1048576 // len(item))).encode()
        try:
            self.chunk(b'{"kind":"%sList","metadata":{"resourceVersion":'
                       b'"1"},"items":[' % kind.encode())
            for _ in range(100):
                self.chunk(block)
            self.chunk(b'{}]}')
            self.chunk(b"")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    def v_watch(self, res, ns, name, q, body):
        lsel, fsel = self.selectors(res, q)
        timeout = int(q.get("timeoutSeconds", "300"))
        bookmarks = q.get("allowWatchBookmarks") in ("1", "true")
        rvq = q.get("resourceVersion", "")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.code = 200
        end = time.monotonic() + timeout
        next_bookmark = time.monotonic() + ARGS.bookmark_interval
        initial = []
        with STATE.cond:
            drop_gen, expire_gen = STATE.drop_gen, STATE.expire_gen
            if rvq in ("", "0"):
                # No resourceVersion: the current state first.
                since = STATE.rv
                initial = [o for _, o in sorted(
                    STATE.objects[res.gkey].items())
                    if self.matches(o, ns, lsel, fsel)]
            else:
                since = int(rvq)
            too_old = since < STATE.compacted
        try:
            if too_old:
                self.send_event("ERROR", status(
                    410, "Expired", "too old resource version: %d (%d)" %
                    (since, STATE.compacted)))
                self.chunk(b"")
                return
            for o in initial:
                self.send_event("ADDED", o)
            while time.monotonic() < end:
                with STATE.cond:
                    STATE.cond.wait(0.2)
                    evs = [e for e in STATE.events
                           if e[1] == res.gkey and e[0] > since]
                    dropped = STATE.drop_gen != drop_gen
                    expired = STATE.expire_gen != expire_gen
                    long_line = STATE.mode.get("long_line") == res.plural
                    if long_line:
                        STATE.mode["long_line"] = None
                    rv = STATE.rv
                    gone = res.gkey not in STATE.res
                if dropped:
                    # Cut the stream: no terminating chunk.
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if expired:
                    self.send_event("ERROR", status(
                        410, "Expired", "too old resource version"))
                    break
                for ev_rv, _, etype, obj, old in evs:
                    since = ev_rv
                    etype = self.watch_type(etype, obj, old, ns, lsel, fsel)
                    if etype:
                        self.send_event(etype, obj)
                if gone:
                    break
                if long_line:
                    self.send_event("MODIFIED", {
                        "kind": res.kind, "metadata": {
                            "name": "long", "namespace": "bulk",
                            "annotations": {"a": "x" * (9 << 20)}}})
                if bookmarks and time.monotonic() >= next_bookmark:
                    self.send_event("BOOKMARK", {
                        "kind": res.kind, "apiVersion": res.api_version,
                        "metadata": {"resourceVersion": str(rv)}})
                    since = max(since, rv)
                    next_bookmark = time.monotonic() + ARGS.bookmark_interval
            self.chunk(b"")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError,
                OSError):
            self.close_connection = True

    def watch_type(self, etype, obj, old, ns, lsel, fsel):
        """The event a selecting watch sees: an object that starts or
        stops matching is ADDED or DELETED for it."""
        now = self.matches(obj, ns, lsel, fsel)
        if etype == "MODIFIED" and old is not None:
            before = self.matches(old, ns, lsel, fsel)
            if before and not now:
                return "DELETED"
            if now and not before:
                return "ADDED"
        return etype if now else None

    def send_event(self, etype, obj):
        # Two writes with a pause between, so that the client gets the
        # line in pieces and must join them.
        line = json.dumps({"type": etype, "object": obj}).encode() + b"\n"
        self.chunk(line[:len(line) // 2])
        time.sleep(0.002)
        self.chunk(line[len(line) // 2:])
        self.sent += len(line)

    # -- writes
    def parse(self, body, ctype):
        try:
            if "yaml" in ctype:
                obj = fs.yaml_load(body.decode())
            else:
                obj = json.loads(body)
        except (ValueError, UnicodeDecodeError, fs.yaml.YAMLError) as e:
            raise bad_request("error decoding %s: %s" %
                              ("YAML" if "yaml" in ctype else "JSON", e))
        if not isinstance(obj, dict):
            raise bad_request("the body of the request is not an object")
        return obj

    def check_target(self, res, ns, name, obj, what="body"):
        if obj.get("apiVersion") != res.api_version or \
                obj.get("kind") != res.kind:
            if not obj.get("kind"):
                raise bad_request("Object 'Kind' is missing in '%s'" %
                                  compact(obj)[:200])
            raise bad_request("the API version in the data (%s) does not "
                              "match the expected API version (%s)" %
                              (obj.get("apiVersion"), res.api_version)
                              if obj.get("apiVersion") != res.api_version
                              else "the kind in the data (%s) does not "
                              "match the expected kind (%s)" %
                              (obj.get("kind"), res.kind))
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata is not an object")
        if name is not None and meta.get("name", name) != name:
            raise bad_request("the name of the object (%s) does not match "
                              "the name on the URL (%s)" %
                              (meta.get("name"), name))
        if name is not None:
            meta["name"] = name
        if res.namespaced:
            if meta.get("namespace", ns) != ns:
                raise bad_request("the namespace of the provided object does "
                                  "not match the namespace sent on the "
                                  "request")
            meta["namespace"] = ns
        elif "namespace" in meta and not meta["namespace"]:
            del meta["namespace"]

    def unknown(self, res, obj, apply, q):
        """Unknown fields: an apply refuses them; a create or update
        refuses them with fieldValidation=Strict, else prunes and warns."""
        bad = res.schema.unknown_fields(obj)
        if not bad:
            return []
        if apply:
            raise bad_request("failed to create typed patch object (%s, "
                              "Kind=%s): %s" % (res.api_version, res.kind,
                                                "; ".join(
                                                    ".%s: field not declared"
                                                    " in schema" % p
                                                    for p in bad)))
        if q.get("fieldValidation") == "Strict":
            raise bad_request("strict decoding error: %s" % ", ".join(
                'unknown field "%s"' % p for p in bad))
        if q.get("fieldValidation") != "Ignore":
            res.schema.prune(obj, bad)
            return [("Warning", '299 - "unknown field \\"%s\\""' % p)
                    for p in bad]
        res.schema.prune(obj, bad)
        return []

    def validate(self, res, obj):
        causes = res.schema.validate(obj)
        if causes:
            name = obj.get("metadata", {}).get("name", "")
            msgs = ["%s: %s" % (c["field"], c["message"]) for c in causes]
            raise ApiError(422, "Invalid", '%s.%s "%s" is invalid: %s' % (
                res.kind, res.group, name,
                msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"),
                {"name": name, "group": res.group, "kind": res.kind,
                 "causes": causes})
        size = len(compact(obj))
        if size > ETCD_LIMIT:
            raise ApiError(500, "InternalError",
                           "etcdserver: request is too large")

    def commit(self, res, key, new, old, owners, dry, code, headers):
        """Store new (server metadata set here) unless it equals old."""
        meta = new["metadata"]
        if old is not None:
            om = old["metadata"]
            for k in ("uid", "creationTimestamp", "generation"):
                if k in om:
                    meta[k] = om[k]
            strip = lambda o: {k: v for k, v in o.items() if k != "metadata"}  # noqa: E731
            mstrip = lambda m: {k: v for k, v in m.items()  # noqa: E731
                                if k not in ("managedFields",
                                             "resourceVersion")}
            if strip(new) == strip(old) and mstrip(meta) == \
                    mstrip(om) and STATE.owners.get((res.gkey, key)) == \
                    owners:
                STATE.writes[res.qualified + " unchanged"] += 1
                return old, 200
            if strip(new) != strip(old):
                meta["generation"] = int(om.get("generation", 1)) + 1
        else:
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_rfc3339()
            meta["generation"] = 1
        mf = []
        for m, paths in sorted(owners.items()):
            op = "Apply" if (m, "Apply") in self.ops else "Update"
            mf.append({"manager": m, "operation": op,
                       "apiVersion": res.api_version, "time": now_rfc3339(),
                       "fieldsType": "FieldsV1",
                       "fieldsV1": fo.render_fields(
                           paths, new, res.schema.openapi
                           if res.schema is not None else None)})
        meta["managedFields"] = mf
        self.validate(res, new)
        if dry:
            meta["resourceVersion"] = old["metadata"]["resourceVersion"] \
                if old else ""
            return new, code
        STATE.put(res, new, "MODIFIED" if old is not None else "ADDED")
        STATE.owners[(res.gkey, key)] = owners
        STATE.writes[res.qualified + " written"] += 1
        return new, code

    def v_create(self, res, ns, name, q, body):
        obj = self.parse(body, self.headers.get("Content-Type", ""))
        self.check_target(res, ns, None, obj)
        headers = self.unknown(res, obj, False, q)
        if obj["metadata"].get("resourceVersion"):
            raise ApiError(500, "InternalError", "resourceVersion should not "
                           "be set on objects to be created")
        key = (ns or "") + "/" + obj["metadata"].get("name", "")
        manager = q.get("fieldManager") or self.agent()
        self.ops = {(manager, "Update")}
        with STATE.cond:
            if key in STATE.objects[res.gkey]:
                n = obj["metadata"]["name"]
                raise ApiError(409, "AlreadyExists", '%s "%s" already exists'
                               % (res.qualified, n),
                               {"name": n, "group": res.group,
                                "kind": res.plural})
            owners = fo.update_owners(None, obj, {}, manager,
                                      res.schema.openapi)
            new, code = self.commit(res, key, obj, None, owners,
                                    q.get("dryRun") == "All", 201, headers)
        self.send_json(code, new, headers)

    def v_update(self, res, ns, name, q, body):
        obj = self.parse(body, self.headers.get("Content-Type", ""))
        self.check_target(res, ns, name, obj)
        headers = self.unknown(res, obj, False, q)
        key = (ns or "") + "/" + name
        manager = q.get("fieldManager") or self.agent()
        with STATE.cond:
            old = STATE.objects[res.gkey].get(key)
            if old is None:
                raise not_found(res, name)
            rv = obj["metadata"].get("resourceVersion")
            if not rv:
                raise ApiError(422, "Invalid", '%s.%s "%s" is invalid: '
                               'metadata.resourceVersion: Invalid value: '
                               '0x0: must be specified for an update' %
                               (res.kind, res.group, name))
            if rv != old["metadata"]["resourceVersion"]:
                raise self.conflict(res, name)
            owners = fo.update_owners(old, obj, STATE.owners.get(
                (res.gkey, key), {}), manager, res.schema.openapi)
            self.ops = self.old_ops(old) | {(manager, "Update")}
            new, code = self.commit(res, key, obj, old, owners,
                                    q.get("dryRun") == "All", 200, headers)
        self.send_json(code, new, headers)

    @staticmethod
    def conflict(res, name):
        return ApiError(409, "Conflict", 'Operation cannot be fulfilled on '
                        '%s "%s": the object has been modified; please apply '
                        'your changes to the latest version and try again' %
                        (res.qualified, name),
                        {"name": name, "group": res.group,
                         "kind": res.plural})

    def agent(self):
        return (self.headers.get("User-Agent") or "unknown").split("/")[0]

    @staticmethod
    def old_ops(old):
        return {(m.get("manager"), m.get("operation"))
                for m in old.get("metadata", {}).get("managedFields", [])}

    def v_patch(self, res, ns, name, q, body):
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype not in ("application/apply-patch+yaml",
                         "application/merge-patch+json"):
            raise ApiError(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown "
                           "format - accepted media types include: "
                           "application/merge-patch+json, "
                           "application/apply-patch+yaml")
        apply = ctype == "application/apply-patch+yaml"
        manager = q.get("fieldManager", "")
        if apply and not manager:
            raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is '
                           'invalid: fieldManager: Required value: is '
                           'required for apply patch',
                           {"group": "meta.k8s.io", "kind": "PatchOptions",
                            "causes": [{"reason": "FieldValueRequired",
                                        "message": "Required value: is "
                                        "required for apply patch",
                                        "field": "fieldManager"}]})
        if not apply and "force" in q:
            raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is '
                           'invalid: force: Forbidden: may not be specified '
                           'for non-apply patch')
        if len(manager) > 128:
            raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is '
                           'invalid: fieldManager: Too long: may not be more '
                           'than 128 bytes')
        patch = self.parse(body, ctype)
        key = (ns or "") + "/" + name
        dry = q.get("dryRun") == "All"
        headers = []
        if apply:
            self.check_target(res, ns, name, patch)
            if patch["metadata"].get("managedFields") is not None:
                raise bad_request("metadata.managedFields must be nil")
            self.unknown(res, patch, True, q)
        with STATE.cond:
            old = STATE.objects[res.gkey].get(key)
            owners = STATE.owners.get((res.gkey, key), {})
            if apply:
                want_rv = patch["metadata"].get("resourceVersion")
                if want_rv and (old is None or want_rv !=
                                old["metadata"]["resourceVersion"]):
                    raise self.conflict(res, name) if old is not None else \
                        not_found(res, name)
                try:
                    new, owners = fo.apply(old, owners, patch, manager,
                                           q.get("force") == "true",
                                           res.schema.openapi)
                except fo.Conflict as c:
                    raise self.apply_conflict(res, name, c.items)
                self.ops = (self.old_ops(old) if old else set()) | \
                    {(manager, "Apply")}
            else:
                if old is None:
                    raise not_found(res, name)
                new = fo.merge_patch(old, patch)
                self.check_target(res, ns, name, new)
                headers = self.unknown(res, new, False, q)
                owners = fo.update_owners(old, new, owners, manager or
                                          self.agent(), res.schema.openapi)
                self.ops = self.old_ops(old) | {(manager or self.agent(),
                                                 "Update")}
            new["metadata"].pop("resourceVersion", None)
            new["metadata"]["name"] = name
            if res.namespaced:
                new["metadata"]["namespace"] = ns
            new, code = self.commit(res, key, new, old, owners, dry,
                                    201 if old is None else 200, headers)
        self.send_json(code, new, headers)

    @staticmethod
    def apply_conflict(res, name, items):
        causes = [{"reason": "FieldManagerConflict",
                   "message": 'conflict with "%s"' % m,
                   "field": "." + ".".join(p)} for m, p in items]
        return ApiError(409, "Conflict", "Apply failed with %d conflict%s: "
                        "%s" % (len(items), "" if len(items) == 1 else "s",
                                "; ".join('conflict with "%s": %s' %
                                          (c["message"][15:-1], c["field"])
                                          for c in causes)),
                        {"name": name, "group": res.group,
                         "kind": res.plural, "causes": causes})

    def delete_options(self, q, body):
        opts = {}
        if body.strip():
            try:
                opts = json.loads(body)
            except ValueError as e:
                raise bad_request("error decoding DeleteOptions: %s" % e)
        return opts.get("propagationPolicy") or q.get("propagationPolicy"), \
            opts.get("preconditions") or {}, \
            (opts.get("dryRun") or [q.get("dryRun")]) == ["All"]

    def v_delete(self, res, ns, name, q, body):
        policy, pre, dry = self.delete_options(q, body)
        key = (ns or "") + "/" + name
        with STATE.cond:
            obj = STATE.objects[res.gkey].get(key)
            if obj is None:
                raise not_found(res, name)
            m = obj["metadata"]
            if (pre.get("uid") and pre["uid"] != m.get("uid")) or \
                    (pre.get("resourceVersion") and
                     pre["resourceVersion"] != m.get("resourceVersion")):
                raise ApiError(409, "Conflict", 'Operation cannot be '
                               'fulfilled on %s "%s": the object has been '
                               'modified; please apply your changes to the '
                               'latest version and try again' %
                               (res.qualified, name))
            if dry:
                return self.send_json(200, obj)
            gone = self.delete_one(res, key, policy)
        self.send_json(200, gone)

    @staticmethod
    def delete_one(res, key, policy):
        obj = STATE.objects[res.gkey][key]
        uid = obj["metadata"].get("uid")
        if policy == "Orphan" and uid:
            for gkey, objs in STATE.objects.items():
                r = STATE.res.get(gkey)
                for k, o in list(objs.items()):
                    refs = o.get("metadata", {}).get("ownerReferences")
                    if refs and any(x.get("uid") == uid for x in refs):
                        o = copy.deepcopy(o)
                        o["metadata"]["ownerReferences"] = [
                            x for x in refs if x.get("uid") != uid] or None
                        if o["metadata"]["ownerReferences"] is None:
                            del o["metadata"]["ownerReferences"]
                        STATE.put(r, o, "MODIFIED")
        STATE.writes[res.qualified + " deleted"] += 1
        return STATE.delete(res, key)

    def v_deletecollection(self, res, ns, name, q, body):
        lsel, fsel = self.selectors(res, q)
        policy, _, dry = self.delete_options(q, body)
        with STATE.cond:
            keys = [k for k, o in sorted(STATE.objects[res.gkey].items())
                    if self.matches(o, ns, lsel, fsel)]
            items = [STATE.objects[res.gkey][k] for k in keys]
            if not dry:
                items = [self.delete_one(res, k, policy) for k in keys]
            rv = STATE.rv
        self.send_json(200, {"kind": res.kind + "List",
                             "apiVersion": res.api_version,
                             "metadata": {"resourceVersion": str(rv)},
                             "items": items})

    # -- test controls
    def control(self, method, path, q, body):
        what = path[len("/_test/"):]
        if method == "GET":
            with STATE.cond:
                if what == "requests":
                    return self.send_json(200, list(STATE.requests))
                if what == "log":
                    return self.send_json(200, list(STATE.log))
                if what == "stats":
                    return self.send_json(200, stats(q.get("sizes") != "0"))
                if what == "mode":
                    return self.send_json(200, STATE.mode)
            return self.send_json(404, status(404, "NotFound", path))
        try:
            arg = json.loads(body or b"{}")
        except ValueError as e:
            return self.send_json(400, status(400, "BadRequest", str(e)))
        out = {}
        with STATE.cond:
            if what == "event":
                res = res_for(arg["object"])
                STATE.put(res, arg["object"], arg["type"])
            elif what == "silent_delete":
                res = res_for(arg)
                key = arg.get("namespace", "") + "/" + arg["name"]
                obj = STATE.objects[res.gkey].pop(key, None)
                if obj and obj["metadata"].get("uid"):
                    STATE.uids.pop(obj["metadata"]["uid"], None)
                    STATE.deleted_uids.add(obj["metadata"]["uid"])
                    STATE.gc_wake.set()
                STATE.rv += 1
            elif what == "expire":
                STATE.rv += 1
                STATE.compacted = STATE.rv
                STATE.expire_gen += 1
                STATE.snapshots.clear()
                STATE.cond.notify_all()
            elif what == "drop":
                STATE.drop_gen += 1
                STATE.cond.notify_all()
            elif what == "mode":
                STATE.mode.update(arg)
                for k in [k for k, v in STATE.mode.items() if v is None]:
                    del STATE.mode[k]
                STATE.cond.notify_all()
            elif what == "load":
                out["loaded"] = load(arg.get("items", []),
                                     arg.get("validate", True))
            elif what == "crd":
                name = arg["name"]
                if name not in STATE.crds:
                    return self.send_json(404, status(404, "NotFound", name))
                if arg.get("installed", True):
                    if name not in STATE.installed:
                        install_crd(STATE.crds[name])
                else:
                    uninstall_crd(name)
                STATE.cond.notify_all()
            elif what == "stats":
                if arg.get("reset"):
                    for c in (STATE.stats, STATE.bytes_in, STATE.bytes_out,
                              STATE.writes):
                        c.clear()
                    STATE.log.clear()
                    STATE.requests.clear()
            elif what == "down":
                threading.Thread(target=go_down,
                                 args=(float(arg.get("seconds", 1)),),
                                 daemon=True).start()
            else:
                return self.send_json(404, status(404, "NotFound", path))
            out["resourceVersion"] = str(STATE.rv)
        if isinstance(out.get("loaded"), ApiError):
            e = out["loaded"]
            return self.send_json(e.code, e.body)
        self.send_json(200, out)


def res_for(obj):
    av = obj.get("apiVersion")
    r = STATE.res_of(av, obj["kind"]) or STATE.res_of(None, obj["kind"])
    if r is None:
        raise KeyError("no resource of kind %s" % obj["kind"])
    return r


def stats(sizes):
    objs = {}
    for gkey, d in STATE.objects.items():
        res = STATE.res.get(gkey)
        if res is None or not d:
            continue
        s = [STATE.sizes[(gkey, k)] for k in d]
        e = {"count": len(d), "bytes": sum(s), "max": max(s)}
        if sizes:
            e["sizes"] = {k: STATE.sizes[(gkey, k)] for k in sorted(d)}
        objs[res.qualified] = e
    return {"requests": dict(STATE.stats), "bytesReceived":
            dict(STATE.bytes_in), "bytesSent": dict(STATE.bytes_out),
            "writes": dict(STATE.writes), "objects": objs,
            "resourceVersion": str(STATE.rv)}


def load(items, validate=True):
    """Store items as they are (server metadata added); custom resources
    are validated unless validate is false; kinds not served are skipped
    (a fixture may hold Services). Caller holds cond."""
    n = 0
    for obj in items:
        try:
            res = res_for(obj)
        except KeyError:
            continue
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now_rfc3339())
        if res.schema is not None:
            meta.setdefault("generation", 1)
            if validate:
                causes = res.schema.validate(obj)
                if causes:
                    return ApiError(422, "Invalid", "%s %s: %s" % (
                        res.kind, okey(obj), causes[0]["message"]),
                        {"causes": causes})
        STATE.put(res, obj, record=False)
        n += 1
    return n


# ---- down and up ---------------------------------------------------------

DOWN = threading.Event()       # set while the server is down


def go_down(seconds):
    """Close the listening socket and every connection; come back after
    seconds (< 0: until SIGUSR2)."""
    time.sleep(0.05)            # let the control's answer leave
    if SERVER is None or DOWN.is_set():
        return
    DOWN.set()
    SERVER.shutdown()
    if seconds >= 0:
        time.sleep(seconds)
        DOWN.clear()


def on_signal(signum, frame):
    if signum == signal.SIGUSR1:
        threading.Thread(target=go_down, args=(-1,), daemon=True).start()
    else:
        DOWN.clear()


def make_server(port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    if ARGS.client_ca:
        ctx.load_verify_locations(ARGS.client_ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL
    srv = ThreadingHTTPServer((ARGS.listen, port), Handler)
    srv.daemon_threads = True
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    return srv


def serve():
    global SERVER
    port = 0
    first = True
    while True:
        for _ in range(100):
            try:
                SERVER = make_server(port)
                break
            except OSError:
                time.sleep(0.1)
        ARGS.port_number = port = SERVER.server_address[1]
        if first:
            tmp = ARGS.port_file + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % port)
            os.rename(tmp, ARGS.port_file)
            first = False
        SERVER.serve_forever()
        SERVER.server_close()
        with STATE.cond:
            STATE.drop_gen += 1      # watches and hung requests end
            conns = list(STATE.conns)
            STATE.cond.notify_all()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        while DOWN.is_set():
            time.sleep(0.05)


def read_items(path):
    with open(path) as f:
        text = f.read()
    docs = [json.loads(text)] if path.endswith(".json") else \
        fs.yaml_load_all(text)
    items = []
    for d in docs:
        if isinstance(d, dict) and "items" in d:
            items.extend(d["items"])
        elif isinstance(d, list):
            items.extend(d)
        elif isinstance(d, dict):
            items.append(d)
    return items


def main():
    global ARGS
    p = argparse.ArgumentParser(description="A test stand-in for "
                                "kube-apiserver (tests/tools/README.md).")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--token-file", required=True,
                   help="one token per line, optionally then a user name")
    p.add_argument("--client-ca", help="accept client certificates it "
                   "signed (user = CN)")
    p.add_argument("--port-file", required=True)
    p.add_argument("--listen", default="127.0.0.1",
                   help="the address to listen on (default 127.0.0.1)")
    p.add_argument("--fixture", help="a List of built-in objects (JSON)")
    p.add_argument("--seed", action="append", default=[],
                   help="objects to preload (JSON or YAML; List, items or "
                   "documents), validated; repeatable")
    p.add_argument("--crd-dir", default=os.path.join(TOP, "install",
                                                     "kubernetes"))
    p.add_argument("--crd", action="append", default=[],
                   help="another CRD file to serve (repeatable)")
    p.add_argument("--no-crds", action="store_true",
                   help="start without the CRDs of --crd-dir (as a cluster "
                   "where they are not installed; /_test/crd installs)")
    p.add_argument("--no-gc", action="store_true",
                   help="no ownerReference garbage collection")
    p.add_argument("--gc-dangling", action="store_true",
                   help="also collect objects whose owners never existed")
    p.add_argument("--gc-delay", type=float, default=0.2)
    p.add_argument("--extra-pods", type=int, default=0)
    p.add_argument("--bookmark-interval", type=float, default=1.0)
    ARGS = p.parse_args()
    ARGS.port_number = 0
    for r in BUILTIN + [CRD_RES]:
        STATE.serve(r)
    ours = fs.load_crds(sorted(glob.glob(os.path.join(ARGS.crd_dir,
                                                      "*.yaml"))))
    for crd in ours + fs.load_crds(ARGS.crd):
        problems = fs.structural_problems(crd)
        if problems:
            sys.exit("fake_apiserver: %s" % "; ".join(problems))
        install_crd(crd)
    if ARGS.no_crds:
        for crd in ours:
            uninstall_crd(crd["metadata"]["name"])
    with STATE.cond:
        for crd in STATE.crds.values():
            obj = copy.deepcopy(crd)
            obj["metadata"]["uid"] = str(uuid.uuid4())
            STATE.put(CRD_RES, obj, record=False)
        items = []
        if ARGS.fixture:
            items += read_items(ARGS.fixture)
        for f in ARGS.seed:
            items += read_items(f)
        r = load(items)
        if isinstance(r, ApiError):
            sys.exit("fake_apiserver: seed: %s" % r.body["message"])
        for i in range(ARGS.extra_pods):
            STATE.put(STATE.res[("", "pods")], {
                "kind": "Pod", "metadata": {
                    "name": "bulk-%05d" % i, "namespace": "bulk",
                    "uid": "uid-bulk-%05d" % i, "labels": {"app": "bulk"}},
                "status": {"podIP": "198.19.%d.%d" % (i // 250,
                                                      1 + i % 250)}},
                record=False)
    signal.signal(signal.SIGUSR1, on_signal)
    signal.signal(signal.SIGUSR2, on_signal)
    threading.Thread(target=gc_loop, daemon=True).start()
    serve()


if __name__ == "__main__":
    main()
