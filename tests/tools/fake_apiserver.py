#!/usr/bin/python3
"""A stand-in for kube-apiserver, for the API client's integration test.

No real kube-apiserver runs on the test machines, so this speaks the parts
of the protocol netpol-recorderd uses, over HTTPS on 127.0.0.1:

  GET /api/v1/<resource>, /apis/<group>/v1/<resource>
      ?limit=N&continue=T       a page of a List, metadata.resourceVersion
      ?watch=1&resourceVersion=RV&allowWatchBookmarks=true&timeoutSeconds=S
                                a chunked stream of ADDED / MODIFIED /
                                DELETED / BOOKMARK events, one JSON per
                                line; ERROR with code 410 when RV is too old
  Authorization: Bearer <the content of --token-file, re-read each time>,
  else 401 with a Status body.

Test controls (no auth, same port):
  POST /_test/event    {"type": "ADDED", "object": {...}}
  POST /_test/silent_delete {"kind": "Pod", "namespace": n, "name": x}
                       remove without an event (a relist must notice)
  POST /_test/expire   current watches get ERROR 410; older RVs are gone
  POST /_test/drop     current watches are cut without the last chunk
  POST /_test/mode     {"huge_list": res, "truncate_list": res,
                        "long_line": res, "forbid": res}: misbehave
                       (null to stop)
  GET  /_test/requests the request lines seen so far (JSON array)

Python standard library only (http.server, ssl).
"""
import argparse
import json
import os
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RESOURCES = {
    "Pod": ("", "pods"), "Namespace": ("", "namespaces"),
    "Node": ("", "nodes"),
    "ReplicationController": ("", "replicationcontrollers"),
    "ReplicaSet": ("apps", "replicasets"),
    "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"), "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
}
KIND_OF = {res: kind for kind, (_, res) in RESOURCES.items()}


class State:
    def __init__(self):
        self.cond = threading.Condition()
        self.rv = 1000
        self.objects = {res: {} for _, res in RESOURCES.values()}
        self.events = []        # (rv, resource, type, object)
        self.compacted = 0      # watches from an RV below this get 410
        self.drop_gen = 0
        self.expire_gen = 0
        self.mode = {}
        self.requests = []

    @staticmethod
    def key(obj):
        m = obj.get("metadata", {})
        return m.get("namespace", "") + "/" + m.get("name", "")

    def put(self, obj, etype="ADDED", record=True):
        kind = obj.get("kind")
        if kind not in RESOURCES:
            return
        res = RESOURCES[kind][1]
        self.rv += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
        if etype == "DELETED":
            self.objects[res].pop(self.key(obj), None)
        else:
            self.objects[res][self.key(obj)] = obj
        if record:
            self.events.append((self.rv, res, etype, obj))
        self.cond.notify_all()


STATE = State()
ARGS = None


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason,
            "code": code}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def authorized(self):
        with open(ARGS.token_file) as f:
            token = f.read().strip()
        return self.headers.get("Authorization") == "Bearer " + token

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n) or b"{}")
        path = urlparse(self.path).path
        with STATE.cond:
            if path == "/_test/event":
                STATE.put(body["object"], body["type"])
            elif path == "/_test/silent_delete":
                res = RESOURCES[body["kind"]][1]
                STATE.objects[res].pop(body.get("namespace", "") + "/" +
                                       body["name"], None)
                STATE.rv += 1
            elif path == "/_test/expire":
                STATE.rv += 1
                STATE.compacted = STATE.rv
                STATE.expire_gen += 1
                STATE.cond.notify_all()
            elif path == "/_test/drop":
                STATE.drop_gen += 1
                STATE.cond.notify_all()
            elif path == "/_test/mode":
                STATE.mode.update(body)
            else:
                self.send_json(404, status(404, "NotFound", path))
                return
            rv = STATE.rv
        self.send_json(200, {"resourceVersion": str(rv)})

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path == "/_test/requests":
            with STATE.cond:
                self.send_json(200, list(STATE.requests))
            return
        ok = self.authorized()
        with STATE.cond:
            STATE.requests.append(("" if ok else "UNAUTHORIZED ") +
                                  self.path)
        if not ok:
            self.send_json(401, status(401, "Unauthorized",
                                       "Unauthorized"))
            return
        parts = url.path.strip("/").split("/")
        res = parts[-1]
        if res not in KIND_OF or len(parts) not in (3, 4):
            self.send_json(404, status(404, "NotFound",
                                       "the server could not find the "
                                       "requested resource"))
            return
        with STATE.cond:
            forbidden = STATE.mode.get("forbid") == res
        if forbidden:
            self.send_json(403, status(
                403, "Forbidden", '%s is forbidden: User "system:'
                'serviceaccount:test:reader" cannot list resource "%s"' %
                (res, res)))
            return
        if q.get("watch") in ("1", "true"):
            self.watch(res, q)
        else:
            self.list(res, q)

    def list(self, res, q):
        kind = KIND_OF[res]
        with STATE.cond:
            items = [STATE.objects[res][k]
                     for k in sorted(STATE.objects[res])]
            rv = STATE.rv
            huge = STATE.mode.get("huge_list") == res
            trunc = STATE.mode.get("truncate_list") == res
        if huge:
            self.huge_list(kind)
            return
        limit = int(q.get("limit", "0") or 0)
        off = int(q.get("continue", "0") or 0)
        page = items[off:off + limit] if limit else items[off:]
        meta = {"resourceVersion": str(rv)}
        if limit and off + limit < len(items):
            meta["continue"] = str(off + limit)
            meta["remainingItemCount"] = len(items) - off - limit
        body = json.dumps({"kind": kind + "List", "apiVersion": "v1",
                           "metadata": meta,
                           # List items carry no kind, as in the real API.
                           "items": [{k: v for k, v in o.items()
                                      if k not in ("kind", "apiVersion")}
                                     for o in page]}).encode()
        if trunc:
            body = body[:len(body) // 2]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

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

    def watch(self, res, q):
        timeout = int(q.get("timeoutSeconds", "300"))
        since = int(q.get("resourceVersion", "0") or 0)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        end = time.monotonic() + timeout
        next_bookmark = time.monotonic() + ARGS.bookmark_interval
        with STATE.cond:
            drop_gen, expire_gen = STATE.drop_gen, STATE.expire_gen
            too_old = since < STATE.compacted
        try:
            if too_old:
                self.send_event("ERROR", status(
                    410, "Expired", "too old resource version: %d (%d)" %
                    (since, STATE.compacted)))
                self.chunk(b"")
                return
            while time.monotonic() < end:
                with STATE.cond:
                    STATE.cond.wait(0.2)
                    evs = [e for e in STATE.events
                           if e[1] == res and e[0] > since]
                    dropped = STATE.drop_gen != drop_gen
                    expired = STATE.expire_gen != expire_gen
                    long_line = STATE.mode.get("long_line") == res
                    if long_line:
                        STATE.mode["long_line"] = None
                    rv = STATE.rv
                if dropped:
                    # Cut the stream: no terminating chunk.
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if expired:
                    self.send_event("ERROR", status(
                        410, "Expired", "too old resource version"))
                    break
                for ev_rv, _, etype, obj in evs:
                    self.send_event(etype, obj)
                    since = ev_rv
                if long_line:
                    self.send_event("MODIFIED", {
                        "kind": KIND_OF[res], "metadata": {
                            "name": "long", "namespace": "bulk",
                            "annotations": {"a": "x" * (9 << 20)}}})
                if time.monotonic() >= next_bookmark:
                    self.send_event("BOOKMARK", {
                        "kind": KIND_OF[res], "apiVersion": "v1",
                        "metadata": {"resourceVersion": str(rv)}})
                    since = max(since, rv)
                    next_bookmark = time.monotonic() + ARGS.bookmark_interval
            self.chunk(b"")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError,
                OSError):
            self.close_connection = True

    def send_event(self, etype, obj):
        # Two writes with a pause between, so that the client gets the
        # line in pieces and must join them.
        line = json.dumps({"type": etype, "object": obj}).encode() + b"\n"
        self.chunk(line[:len(line) // 2])
        time.sleep(0.002)
        self.chunk(line[len(line) // 2:])


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--fixture", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--extra-pods", type=int, default=0)
    p.add_argument("--bookmark-interval", type=float, default=1.0)
    ARGS = p.parse_args()
    with open(ARGS.fixture) as f:
        items = json.load(f)["items"]
    with STATE.cond:
        load(items)
    serve()


def load(items):
    for obj in items:
        STATE.put(obj, record=False)
    for i in range(ARGS.extra_pods):
        STATE.put({"kind": "Pod", "metadata": {
            "name": "bulk-%05d" % i, "namespace": "bulk",
            "uid": "uid-bulk-%05d" % i, "labels": {"app": "bulk"}},
            "status": {"podIP": "198.19.%d.%d" % (i // 250, 1 + i % 250)}},
            record=False)


def serve():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
