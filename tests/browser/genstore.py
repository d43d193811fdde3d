#!/usr/bin/python3
"""SQL that fills an empty store with a shop as clusters run it.

    genstore.py > shop.sql
    sqlite3 STORE < shop.sql     # STORE made by bench_genstore -w 2 -f 0

Twenty workloads in four namespaces with the traffic of a layered
application: a web front, an API gateway and its services (shop), the data
stores they use (data), monitoring that scrapes everything (monitoring),
and the cluster DNS (kube-system); the nodes' kubelet probes, clients on
the Internet and two outside services (one under a KnownServer). About 200
flows (each in-cluster connection recorded at both ends, as a recorder on
every node sees it), with byte counts. Deterministic: the same SQL every
run (times are fixed, in November 2026).

The store's own schema comes from bench_genstore (the real migrations);
this only deletes its two sample workloads and inserts. The headless
browser test of the HTML report (test_report_browser.sh) loads the report
of this store; policies.yaml beside this file deny a few of its flows.
"""

T0 = 1795000000            # recording started
T1 = T0 + 86400            # a day later

NAMESPACES = {
    "shop": [("Deployment", "web"), ("Deployment", "api-gateway"),
             ("Deployment", "cart"), ("Deployment", "checkout"),
             ("Deployment", "catalog"), ("Deployment", "search"),
             ("Deployment", "payments"), ("Deployment", "orders"),
             ("Deployment", "users"), ("Deployment", "recommendations"),
             ("Deployment", "notifications")],
    "data": [("StatefulSet", "postgres"), ("StatefulSet", "redis"),
             ("StatefulSet", "kafka"), ("StatefulSet", "elasticsearch")],
    "monitoring": [("StatefulSet", "prometheus"),
                   ("DaemonSet", "node-exporter"),
                   ("Deployment", "grafana")],
    "kube-system": [("Deployment", "coredns"), ("DaemonSet", "kube-proxy")],
}

TCP, UDP = 6, 17

# client -> server, protocol, port (after DNAT), Service port or None
CALLS = [
    ("web", "api-gateway", TCP, 8080, 80),
    ("api-gateway", "cart", TCP, 8080, 80),
    ("api-gateway", "checkout", TCP, 8080, 80),
    ("api-gateway", "catalog", TCP, 8080, 80),
    ("api-gateway", "search", TCP, 8080, 80),
    ("api-gateway", "users", TCP, 8080, 80),
    ("api-gateway", "orders", TCP, 8080, 80),
    ("api-gateway", "recommendations", TCP, 9000, 9000),
    ("checkout", "cart", TCP, 8080, 80),
    ("checkout", "payments", TCP, 9000, 9000),
    ("checkout", "orders", TCP, 9000, 9000),
    ("checkout", "users", TCP, 9000, 9000),
    ("orders", "notifications", TCP, 9000, 9000),
    ("recommendations", "catalog", TCP, 9000, 9000),
    ("search", "catalog", TCP, 9000, 9000),
    ("cart", "redis", TCP, 6379, 6379),
    ("users", "redis", TCP, 6379, 6379),
    ("catalog", "postgres", TCP, 5432, 5432),
    ("orders", "postgres", TCP, 5432, 5432),
    ("users", "postgres", TCP, 5432, 5432),
    ("payments", "postgres", TCP, 5432, 5432),
    ("orders", "kafka", TCP, 9092, None),
    ("payments", "kafka", TCP, 9092, None),
    ("notifications", "kafka", TCP, 9092, None),
    ("search", "elasticsearch", TCP, 9200, 9200),
    ("recommendations", "elasticsearch", TCP, 9200, 9200),
    ("grafana", "prometheus", TCP, 9090, 9090),
    ("api-gateway", "cart", TCP, 9000, 9000),
    ("api-gateway", "checkout", TCP, 9000, 9000),
    ("api-gateway", "catalog", TCP, 9000, 9000),
    ("api-gateway", "users", TCP, 9000, 9000),
    ("api-gateway", "redis", TCP, 6379, 6379),
    ("orders", "payments", TCP, 9000, 9000),
    ("cart", "catalog", TCP, 9000, 9000),
    ("users", "notifications", TCP, 9000, 9000),
    ("checkout", "kafka", TCP, 9092, None),
    ("search", "redis", TCP, 6379, 6379),
    ("catalog", "redis", TCP, 6379, 6379),
]

SCRAPED = ["web", "api-gateway", "cart", "checkout", "catalog", "search",
           "payments", "orders", "users", "recommendations",
           "notifications", "postgres", "redis", "kafka", "elasticsearch",
           "coredns", "grafana"]

EXTERNAL = [  # client, address, port, DNS name
    ("payments", "203.0.113.10", 443, "pay.example.com."),
    ("payments", "203.0.113.11", 443, "pay.example.com."),
    ("notifications", "198.51.100.25", 587, "smtp.example.net."),
    ("recommendations", "198.51.100.80", 443, ""),
    ("catalog", "203.0.113.30", 443, "cdn.example.org."),
    ("web", "198.51.100.90", 443, "analytics.example.com."),
]
CLIENTS = ["203.0.113.50", "203.0.113.51", "203.0.113.52", "198.51.100.7",
           "2001:db8:ff::17", "2001:db8:ff::18"]
NODES = [("node-a", "198.18.0.1"), ("node-b", "198.18.0.2")]


def q(s):
    return "'" + s.replace("'", "''") + "'"


def main():
    out = ["PRAGMA foreign_keys=OFF;", "BEGIN;",
           "DELETE FROM addresses;", "DELETE FROM attachments;",
           "DELETE FROM flows;", "DELETE FROM workloads;",
           "DELETE FROM counters;", "DELETE FROM nodes;",
           "DELETE FROM known_servers;", "DELETE FROM meta WHERE key = "
           "'recording_started';",
           "INSERT INTO meta (key, value) VALUES ('recording_started', "
           "'%d');" % T0]
    ids = {}
    n = 0
    for ns in sorted(NAMESPACES):
        for kind, name in NAMESPACES[ns]:
            n += 1
            ids[name] = n
            app = {"coredns": "kube-dns"}.get(name, name)
            key = "k8s-app" if ns == "kube-system" else "app"
            out.append(
                "INSERT INTO workloads (id, namespace, kind, name, "
                "selector, labels, ports, host_network, started_at) VALUES "
                "(%d, %s, %s, %s, %s, %s, %s, %d, %d);" % (
                    n, q(ns), q(kind), q(name),
                    q('{"matchLabels":{"%s":"%s"}}' % (key, app)),
                    q('{"%s":"%s"}' % (key, app)),
                    q('[{"name":"metrics","port":9090,"protocol":"TCP"}]'),
                    1 if name in ("node-exporter", "kube-proxy") else 0,
                    T0 + 60 * n))
    svc = {}
    for name, i in ids.items():
        svc[name] = "198.18.100.%d" % i

    flows = []
    seq = [0]

    def flow(wl, direction, kind, peer_wl=0, addr="", proto=TCP, port=0,
             orig="", oport=0, dns="", count=10):
        seq[0] += 1
        s = seq[0]
        first = T0 + 300 + (s * 37) % 3600
        last = T1 - (s * 53) % 7200
        flows.append(
            "INSERT INTO flows (workload_id, direction, peer_kind, "
            "peer_workload_id, peer_addr, protocol, port, orig_addr, "
            "orig_port, dns_name, first_seen, last_seen, count, bytes, "
            "packets) VALUES (%d, %d, %d, %d, %s, %d, %d, %s, %d, %s, "
            "%d, %d, %d, %d, %d);" % (
                ids[wl], direction, kind, peer_wl, q(addr), proto, port,
                q(orig), oport, q(dns), first, last, count,
                count * (1200 + 97 * s), count * (12 + s % 9)))

    def call(c, s, proto, port, sport, count):
        orig = svc[s] if sport is not None else ""
        # The client's egress and the server's ingress: both ends.
        flow(c, 0, 0, ids[s], proto=proto, port=port, orig=orig,
             oport=sport or 0, count=count)
        flow(s, 1, 0, ids[c], proto=proto, port=port, orig=orig,
             oport=sport or 0, count=count)

    for i, (c, s, proto, port, sport) in enumerate(CALLS):
        call(c, s, proto, port, sport, 40 + 113 * i)
    for i, s in enumerate(SCRAPED):
        call("prometheus", s, TCP, 9090, None, 1440)
    for name in ids:
        if name in ("coredns", "kube-proxy", "node-exporter"):
            continue
        call(name, "coredns", UDP, 53, 53, 300 + 7 * ids[name])
    for name in NAMESPACES["shop"][:10]:
        call(name[1], "coredns", TCP, 53, 53, 3)
    call("prometheus", "node-exporter", TCP, 9100, None, 2880)
    for c, a, port, dns in EXTERNAL:
        flow(c, 0, 1, addr=a, port=port, dns=dns, count=25)
    for i, a in enumerate(CLIENTS):
        flow("web", 1, 1, addr=a, port=8443, count=500 + 11 * i)
    for name in ("web", "api-gateway", "cart", "checkout", "catalog",
                 "orders", "users", "payments", "search", "notifications",
                 "recommendations"):
        for _, addr in NODES:
            flow(name, 1, 2, addr=addr, port=8080, count=2880)
    out += flows
    for node, addr in NODES:
        out.append("INSERT INTO nodes (name, addr) VALUES (%s, %s);" %
                   (q(node), q(addr)))
    out.append("INSERT INTO known_servers (source, cidr, server, name) "
               "VALUES ('payments', '203.0.113.0/28', 'pay.example.com', "
               "'card-gateway');")
    for name, value in (("events_seen", 250000), ("flows_written", 1800),
                        ("events_lost", 0)):
        out.append("INSERT INTO counters (name, value, updated_at) VALUES "
                   "(%s, %d, %d);" % (q(name), value, T1))
    out.append("COMMIT;")
    print("\n".join(out))


if __name__ == "__main__":
    main()
