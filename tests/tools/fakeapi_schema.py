"""CRDs for the test API server: load them, check them, validate objects.

What kube-apiserver does with a CustomResourceDefinition's
openAPIV3Schema, as far as the test server needs it:

  - load_crds(paths): every CustomResourceDefinition document of the
    files (YAML, several documents per file);
  - structural_problems(crd): what makes a schema non-structural or
    loose (a node without a type, additionalProperties beside properties,
    type/description/default/nullable inside anyOf/allOf/oneOf/not,
    preserve-unknown-fields at the top, a list-map key that is not
    required, an array without items, a CEL rule whose estimated cost
    the API server would refuse), as sentences; [] for a good CRD;
  - rule_costs(schema): each CEL rule's estimated cost times the
    cardinality of its node, as the API server counts it (CEL_COSTS);
  - Schema(crd).validate(obj): the causes kube-apiserver would give for
    obj (metadata, then the schema through python3-jsonschema after an
    OpenAPI -> JSON Schema translation, then the CEL rules), each
    {"reason", "message", "field"} worded as the API words them;
  - Schema.unknown_fields(obj): paths of fields the schema does not
    declare (an apply refuses them, a create prunes them);
  - profile_name / label_value: the deterministic names of
    install/kubernetes/README.md.

CEL cannot be evaluated here: every x-kubernetes-validations rule of a
loaded CRD must have a Python mirror in CEL_MIRRORS, keyed by the rule's
exact text, or loading fails (and a cost estimate in CEL_COSTS, or the
structural check fails). Changing a rule in a CRD without changing its
mirror therefore stops the test server instead of drifting.
"""
import datetime
import ipaddress
import json
import re

import jsonschema
import yaml

# ---- YAML as the API server reads it ------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML without timestamp resolution: "2024-05-01T10:00:00Z"
    stays a string, as sigs.k8s.io/yaml leaves it."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def yaml_load_all(text):
    return [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]


def yaml_load(text):
    return yaml.load(text, Loader=_Loader)


def load_crds(paths):
    crds = []
    for p in paths:
        with open(p) as f:
            for d in yaml_load_all(f.read()):
                if isinstance(d, dict) and \
                        d.get("kind") == "CustomResourceDefinition":
                    crds.append(d)
    return crds


# ---- names (install/kubernetes/README.md, "Names") -----------------------

def fnv1a64(text):
    h = 0xcbf29ce484222325
    for b in text.encode():
        h ^= b
        h = (h * 0x100000001b3) & 0xffffffffffffffff
    return "%016x" % h


def _shorten(text, limit):
    if len(text) <= limit:
        return text
    prefix = text[:limit - 17].rstrip("-._")
    return prefix + "-" + fnv1a64(text)


def profile_name(kind, name, node):
    """metadata.name of the TrafficProfile of (kind, name) on node."""
    return _shorten("%s-%s-%s" % (kind.lower(), name, node), 253)


def label_value(value):
    """A label value for value (a workload or node name)."""
    return _shorten(value, 63)


# ---- structural check ----------------------------------------------------

_IN_JUNCTORS = ("type", "description", "default", "nullable",
                "additionalProperties")


def structural_problems(crd):
    out = []
    for v in crd.get("spec", {}).get("versions", []):
        where = "%s %s" % (crd.get("metadata", {}).get("name"), v.get("name"))
        s = v.get("schema", {}).get("openAPIV3Schema")
        if s is None:
            out.append("%s: no openAPIV3Schema" % where)
            continue
        if s.get("x-kubernetes-preserve-unknown-fields"):
            out.append("%s: x-kubernetes-preserve-unknown-fields at the top"
                       % where)
        if s.get("type") != "object":
            out.append("%s: the root is not of type object" % where)
        for name in ("metadata",):
            m = s.get("properties", {}).get(name)
            if m is not None and set(m) - {"type", "properties"}:
                out.append("%s: metadata may only say its type" % where)
        _walk_structural(s, where, "", out)
        _cost_problems(s, where, out)
        for col in v.get("additionalPrinterColumns", []):
            if col.get("type") not in ("integer", "number", "string",
                                       "boolean", "date"):
                out.append("%s: printer column %s has type %r" %
                           (where, col.get("name"), col.get("type")))
            if not str(col.get("jsonPath", "")).startswith("."):
                out.append("%s: printer column %s: jsonPath must start "
                           "with '.'" % (where, col.get("name")))
    return out


def _walk_structural(s, where, path, out):
    here = "%s: %s" % (where, path or "<root>")
    if not isinstance(s, dict):
        out.append("%s: not a schema object" % here)
        return
    int_or_string = s.get("x-kubernetes-int-or-string")
    if "type" not in s and not int_or_string and \
            not s.get("x-kubernetes-preserve-unknown-fields"):
        out.append("%s: no type" % here)
    t = s.get("type")
    if t not in (None, "object", "array", "string", "integer", "number",
                 "boolean"):
        out.append("%s: unknown type %r" % (here, t))
    if "properties" in s and "additionalProperties" in s:
        out.append("%s: properties and additionalProperties together" % here)
    if t == "array" and "items" not in s:
        out.append("%s: an array without items" % here)
    if t == "object" and "properties" not in s and \
            "additionalProperties" not in s and path != ".metadata" and \
            not s.get("x-kubernetes-preserve-unknown-fields"):
        out.append("%s: an object with neither properties nor "
                   "additionalProperties" % here)
    for e in s.get("enum", []):
        if not _type_ok(t, e):
            out.append("%s: enum value %r is not of type %s" % (here, e, t))
    for req in s.get("required", []):
        if req not in s.get("properties", {}):
            out.append("%s: required %r is not a property" % (here, req))
    if s.get("x-kubernetes-list-type") == "map":
        req = set(s.get("items", {}).get("required", []))
        for k in s.get("x-kubernetes-list-map-keys", []):
            if k not in req:
                out.append("%s: list-map key %r is not required" % (here, k))
    for j in ("anyOf", "allOf", "oneOf"):
        for i, sub in enumerate(s.get(j, [])):
            _walk_junctor(sub, "%s.%s[%d]" % (here, j, i), out)
    if "not" in s:
        _walk_junctor(s["not"], here + ".not", out)
    for r in s.get("x-kubernetes-validations", []):
        if r.get("rule") not in CEL_MIRRORS:
            out.append("%s: CEL rule without a Python mirror: %s" %
                       (here, r.get("rule")))
    for k, sub in s.get("properties", {}).items():
        _walk_structural(sub, where, path + "." + k, out)
    if isinstance(s.get("additionalProperties"), dict):
        _walk_structural(s["additionalProperties"], where, path + ".*", out)
    if "items" in s:
        _walk_structural(s["items"], where, path + "[*]", out)


def _walk_junctor(s, here, out):
    for k in _IN_JUNCTORS:
        if k in s:
            out.append("%s: %s inside a junctor" % (here, k))
    for k, sub in s.get("properties", {}).items():
        _walk_junctor(sub, here + "." + k, out)
    if "items" in s:
        _walk_junctor(s["items"], here + "[*]", out)


def _type_ok(t, v):
    return {"string": lambda: isinstance(v, str),
            "integer": lambda: isinstance(v, int) and
            not isinstance(v, bool),
            "number": lambda: isinstance(v, (int, float)) and
            not isinstance(v, bool),
            "boolean": lambda: isinstance(v, bool),
            "object": lambda: isinstance(v, dict),
            "array": lambda: isinstance(v, list)}.get(t, lambda: True)()


# ---- formats, as the API server's strfmt checks them ---------------------

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _ip(s):
    try:
        ipaddress.ip_address(s)
        return True
    except ValueError:
        return False


FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time")
def _date_time(s):
    if not isinstance(s, str):
        return True
    if not _RFC3339.match(s):
        return False
    try:
        datetime.datetime.fromisoformat(
            re.sub(r"[Zz]$", "+00:00", s.replace("t", "T")))
    except ValueError:
        return False
    return True


@FORMATS.checks("ipv4")
def _ipv4(s):
    return not isinstance(s, str) or (_ip(s) and "." in s)


@FORMATS.checks("ipv6")
def _ipv6(s):
    return not isinstance(s, str) or (_ip(s) and ":" in s)


@FORMATS.checks("cidr")
def _cidr(s):
    if not isinstance(s, str):
        return True
    try:
        ipaddress.ip_network(s, strict=False)
    except ValueError:
        return False
    return "/" in s


# ---- CEL mirrors ---------------------------------------------------------

def _exactly_one(*keys):
    return lambda p: sum(k in p for k in keys) == 1


def _peer_count(spec):
    return sum(len(g["peers"]) for d in ("egress", "ingress")
               for g in spec.get(d, []))


CEL_MIRRORS = {
    "self.entryCount == (has(self.egress) ? "
    "self.egress.map(g, size(g.peers)).sum() : 0) + (has(self.ingress) ? "
    "self.ingress.map(g, size(g.peers)).sum() : 0)":
        lambda s: s["entryCount"] == _peer_count(s),
    "self.operator in ['In', 'NotIn'] ? (has(self.values) && "
    "size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)":
        lambda s: (len(s.get("values", [])) > 0)
        if s["operator"] in ("In", "NotIn") else not s.get("values"),
    "self.firstSeen <= self.lastSeen":
        lambda s: s["firstSeen"] <= s["lastSeen"],
    "!(self.protocol in ['ICMP', 'ICMPv6']) || self.port == 0":
        lambda s: s["protocol"] not in ("ICMP", "ICMPv6") or s["port"] == 0,
    "(has(self.workload) ? 1 : 0) + (has(self.node) ? 1 : 0) + "
    "(has(self.address) ? 1 : 0) + (has(self.dns) ? 1 : 0) + "
    "(has(self.unknown) ? 1 : 0) == 1":
        _exactly_one("workload", "node", "address", "dns", "unknown"),
    "(has(self.workload) ? 1 : 0) + (has(self.node) ? 1 : 0) + "
    "(has(self.address) ? 1 : 0) + (has(self.unknown) ? 1 : 0) == 1":
        _exactly_one("workload", "node", "address", "unknown"),
    "self.metadata.name == self.spec.node":
        lambda s: s["metadata"]["name"] == s["spec"]["node"],
}


# ---- CEL cost, as the API server estimates it when a CRD is written ------
#
# kube-apiserver refuses a CRD if a rule's estimated cost times the
# cardinality of its node (the product of maxItems / maxProperties of
# every list / map around it) is over STATIC_COST_LIMIT, or if those add
# up to over STATIC_CRD_COST_LIMIT (apiextensions validation,
# StaticEstimatedCostLimit / StaticEstimatedCRDCostLimit). The cost of
# each rule is counted by hand as cel-go's checker does (checker/cost.go):
# an identifier or a field selection 1, has() 1 more than its operand, a
# literal 0, a list literal 10 plus its items, an O(1) call 1 plus its
# arguments, `x in list` the list's size plus its arguments, `==` of two
# scalars 1 plus its arguments (strings: a tenth of the shorter maxLength),
# `a ? b : c` a plus the dearer branch, `&&` `||` both sides; a
# comprehension (map) its range, its initial value and its result plus
# the range's size times its step (here `@result + [size(g.peers)]`: 15);
# sum() the list's size. Keyed by the rule's text, as the mirrors; a
# callable gets the schema node of the rule (for sizes).

STATIC_COST_LIMIT = 10000000
STATIC_CRD_COST_LIMIT = 100000000


def _entry_count_cost(s):
    cost = 2 + 1 + 1                # self.entryCount, ==, +
    for d in ("egress", "ingress"):
        n = s["properties"][d].get("maxItems")
        if n is None:
            return None
        # has() 2 + map: range 2, [] 10, result 1, n x step 15; sum n
        cost += 2 + 13 + 15 * n + n
    return cost


CEL_COSTS = {
    "self.operator in ['In', 'NotIn'] ? (has(self.values) && "
    "size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)":
        21,     # in: 2 + 10 + 2; && 2 + 4; || 3 + 4
    "self.firstSeen <= self.lastSeen": 5,
    "!(self.protocol in ['ICMP', 'ICMPv6']) || self.port == 0":
        18,     # ! (2 + 10 + 2) + 1; == 2 + 1
    "(has(self.workload) ? 1 : 0) + (has(self.node) ? 1 : 0) + "
    "(has(self.address) ? 1 : 0) + (has(self.dns) ? 1 : 0) + "
    "(has(self.unknown) ? 1 : 0) == 1": 15,     # 5 x 2, 4 +, ==
    "(has(self.workload) ? 1 : 0) + (has(self.node) ? 1 : 0) + "
    "(has(self.address) ? 1 : 0) + (has(self.unknown) ? 1 : 0) == 1": 12,
    "self.metadata.name == self.spec.node":
        lambda s: 6 + -(-min(253, s["properties"]["spec"]["properties"]
                                ["node"].get("maxLength", 1 << 62)) // 10),
}
CEL_COSTS["self.entryCount == (has(self.egress) ? "
          "self.egress.map(g, size(g.peers)).sum() : 0) + "
          "(has(self.ingress) ? self.ingress.map(g, size(g.peers)).sum() "
          ": 0)"] = _entry_count_cost


def rule_costs(s, path="", cardinality=1, out=None):
    """[(field path, rule, cost x cardinality or None when unbounded)]
    of every rule under the schema node s."""
    out = [] if out is None else out
    for r in s.get("x-kubernetes-validations", []):
        c = CEL_COSTS.get(r.get("rule"))
        c = c(s) if callable(c) else c
        out.append((path or "<root>", r.get("rule"),
                    None if c is None or cardinality is None
                    else c * cardinality))
    grow = 1
    if s.get("type") == "array":
        grow = s.get("maxItems")
    elif isinstance(s.get("additionalProperties"), dict):
        grow = s.get("maxProperties")
    card = None if cardinality is None or grow is None else \
        cardinality * grow
    for k, sub in s.get("properties", {}).items():
        rule_costs(sub, path + "." + k, card, out)
    if isinstance(s.get("additionalProperties"), dict):
        rule_costs(s["additionalProperties"], path + ".*", card, out)
    if isinstance(s.get("items"), dict):
        rule_costs(s["items"], path + "[*]", card, out)
    return out


def cost_message(what, cost, limit):
    """The API server's words for a cost over its limit."""
    f = cost / limit
    factor = "more than 100x" if f > 100 else \
        ("%fx" % f if f < 1.5 else "%.1fx" % f)
    return ("%s exceeds budget by factor of %s (try simplifying the "
            "rule(s), or adding maxItems, maxProperties, and maxLength "
            "where arrays, maps, and strings are declared)" % (what, factor))


def _cost_problems(s, where, out):
    total = 0
    for path, rule, cost in rule_costs(s):
        if rule not in CEL_COSTS:
            out.append("%s: %s: CEL rule without a cost estimate: %s" %
                       (where, path, rule))
            continue
        if cost is None:
            out.append("%s: %s: CEL rule under a list or map without "
                       "maxItems / maxProperties: %s" % (where, path, rule))
            continue
        if cost > STATIC_COST_LIMIT:
            out.append("%s: %s: %s" % (where, path, cost_message(
                "estimated rule cost", cost, STATIC_COST_LIMIT)))
        total += cost
    if total > STATIC_CRD_COST_LIMIT:
        out.append("%s: %s" % (where, cost_message(
            "total CRD cost", total, STATIC_CRD_COST_LIMIT)))


# ---- OpenAPI v3 (CRD dialect) -> JSON Schema -----------------------------

def go_pattern(p):
    """A pattern as Go's regexp reads it: a final $ is the end of the
    text (Python's $ also matches before a final newline)."""
    if p.endswith("$") and not p.endswith("\\$"):
        return p[:-1] + "\\Z"
    return p


def crd_pattern(p):
    """The pattern as the CRD wrote it (go_pattern undone)."""
    return p[:-2] + "$" if p.endswith("\\Z") else p


def to_json_schema(s):
    if not isinstance(s, dict):
        return s
    out = {}
    for k, v in s.items():
        if k.startswith("x-kubernetes-") or k in ("nullable", "description",
                                                   "example"):
            continue
        if k == "properties":
            out[k] = {n: to_json_schema(c) for n, c in v.items()}
        elif k in ("items", "additionalProperties", "not"):
            out[k] = to_json_schema(v) if isinstance(v, dict) else v
        elif k in ("anyOf", "allOf", "oneOf"):
            out[k] = [to_json_schema(c) for c in v]
        elif k == "pattern":
            out[k] = go_pattern(v)
        else:
            out[k] = v
    if s.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}] + \
            out.get("anyOf", [])
    if s.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


# ---- metadata (ObjectMeta) as the API server checks it -------------------

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?"
                        r"(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QNAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case "
                 "alphanumeric characters, '-' or '.', and must start and end "
                 "with an alphanumeric character (e.g. 'example.com', regex "
                 "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.["
                 "a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def cause(reason, field, message):
    return {"reason": reason, "message": message, "field": field}


def q(v):
    """A value as the API's messages quote it (Go %#v-like)."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)     # Go's %q, near enough
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return '"%s"' % ("object" if isinstance(v, dict) else "array")
    if v is None:
        return "null"
    return str(v)


def invalid(field, value, detail):
    return cause("FieldValueInvalid", field,
                 "Invalid value: %s: %s" % (q(value), detail))


def subdomain_ok(name):
    return isinstance(name, str) and len(name) <= 253 and \
        bool(_SUBDOMAIN.match(name))


def label_key_problem(k):
    prefix, _, name = k.rpartition("/")
    if prefix and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        return "prefix part " + SUBDOMAIN_MSG
    if not name or len(name) > 63:
        return "name part must be no more than 63 characters" if name else \
            "name part must be non-empty"
    if not _QNAME.match(name):
        return ("name part must consist of alphanumeric characters, '-', "
                "'_' or '.', and must start and end with an alphanumeric "
                "character")
    return None


def label_value_problem(v):
    if not isinstance(v, str):
        return "must be a string"
    if len(v) > 63:
        return "must be no more than 63 characters"
    if not _LABEL_VALUE.match(v):
        return ("a valid label must be an empty string or consist of "
                "alphanumeric characters, '-', '_' or '.', and must start "
                "and end with an alphanumeric character")
    return None


def validate_metadata(meta, namespaced):
    causes = []
    if not isinstance(meta, dict):
        return [cause("FieldValueRequired", "metadata", "Required value")]
    name = meta.get("name")
    if not name:
        causes.append(cause("FieldValueRequired", "metadata.name",
                            "Required value: name or generateName is "
                            "required"))
    elif not subdomain_ok(name):
        causes.append(invalid("metadata.name", name, SUBDOMAIN_MSG if
                              len(name) <= 253 else
                              "must be no more than 253 characters"))
    ns = meta.get("namespace")
    if namespaced and not ns:
        causes.append(cause("FieldValueRequired", "metadata.namespace",
                            "Required value"))
    if not namespaced and ns:
        causes.append(cause("FieldValueForbidden", "metadata.namespace",
                            "Forbidden: not allowed on this type"))
    for k, v in (meta.get("labels") or {}).items():
        p = label_key_problem(k)
        if p:
            causes.append(invalid("metadata.labels", k, p))
        p = label_value_problem(v)
        if p:
            causes.append(invalid("metadata.labels", v, p))
    for i, ref in enumerate(meta.get("ownerReferences") or []):
        f = "metadata.ownerReferences[%d]" % i
        if not isinstance(ref, dict):
            causes.append(invalid(f, ref, "must be an object"))
            continue
        for key in ("apiVersion", "kind", "name", "uid"):
            if not ref.get(key):
                causes.append(invalid("%s.%s" % (f, key), "",
                                      "%s must not be empty" % key))
    return causes


# ---- one resource's schema -----------------------------------------------

_TYPE_NAMES = {"integer": "integer", "string": "string", "boolean": "boolean",
               "object": "object", "array": "array", "number": "number"}


class Schema:
    def __init__(self, crd, version):
        spec = crd["spec"]
        self.group = spec["group"]
        self.version = version["name"]
        self.kind = spec["names"]["kind"]
        self.namespaced = spec.get("scope", "Namespaced") == "Namespaced"
        self.openapi = version["schema"]["openAPIV3Schema"]
        self.rules_checked(self.openapi)
        top = dict(self.openapi)
        # metadata is the API server's own business (validate_metadata).
        top["properties"] = {k: v for k, v in
                             top.get("properties", {}).items()
                             if k != "metadata"}
        self.validator = jsonschema.Draft7Validator(
            to_json_schema(top), format_checker=FORMATS)

    @staticmethod
    def rules_checked(s):
        for r in s.get("x-kubernetes-validations", []):
            if r.get("rule") not in CEL_MIRRORS:
                raise ValueError("CEL rule without a Python mirror in "
                                 "fakeapi_schema.CEL_MIRRORS: %s" % r["rule"])
        for sub in list(s.get("properties", {}).values()) + \
                [s.get("items"), s.get("additionalProperties")]:
            if isinstance(sub, dict):
                Schema.rules_checked(sub)

    # -- unknown fields
    def unknown_fields(self, obj):
        out = []
        self._unknown(self.openapi, obj, "", out)
        return out

    def _unknown(self, s, v, path, out):
        if s.get("x-kubernetes-preserve-unknown-fields") or path == "metadata":
            return
        if isinstance(v, dict) and "properties" in s:
            for k, c in v.items():
                p = path + "." + k if path else k
                if k in s["properties"]:
                    self._unknown(s["properties"][k], c, p, out)
                else:
                    out.append(p)
        elif isinstance(v, dict) and isinstance(s.get("additionalProperties"),
                                                dict):
            for k, c in v.items():
                self._unknown(s["additionalProperties"], c,
                              "%s[%s]" % (path, k), out)
        elif isinstance(v, list) and isinstance(s.get("items"), dict):
            for i, c in enumerate(v):
                self._unknown(s["items"], c, "%s[%d]" % (path, i), out)

    def prune(self, obj, paths):
        """Remove the unknown fields found by unknown_fields (in place)."""
        for p in sorted(paths, key=len, reverse=True):
            parent, _, last = p.rpartition(".")
            node = obj
            for part in re.findall(r"[^.\[\]]+|\[\d+\]", parent):
                node = node[int(part[1:-1])] if part.startswith("[") \
                    else node[part]
            node.pop(last, None)

    # -- validation
    def validate(self, obj):
        causes = validate_metadata(obj.get("metadata"), self.namespaced)
        bad_paths = [c["field"] for c in causes]
        for e in sorted(self.validator.iter_errors(obj),
                        key=lambda e: list(map(str, e.absolute_path))):
            c = self._cause(e)
            if c is not None:
                causes.append(c)
                bad_paths.append(c["field"])
        self._cel(self.openapi, obj, "", bad_paths, causes)
        self._list_maps(self.openapi, obj, "", causes)
        return causes

    @staticmethod
    def fieldpath(parts):
        out = ""
        for p in parts:
            out += "[%d]" % p if isinstance(p, int) else \
                ("." + p if out else p)
        return out

    def _cause(self, e):
        path = list(e.absolute_path)
        f = self.fieldpath(path)
        v, val, inst = e.validator, e.validator_value, e.instance
        if v == "required":
            missing = [k for k in val if k not in inst]
            return cause("FieldValueRequired",
                         self.fieldpath(path + missing[:1]), "Required value")
        if v == "anyOf":
            val = " or ".join(str(s.get("format") or s.get("type"))
                              for s in val)
        if v == "pattern":
            val = crd_pattern(val)
        words = dict(f=f, val=val, qi=q(inst), qt=q(_json_type(inst)),
                     n=len(inst) if isinstance(inst, (list, dict)) else 0,
                     vals=", ".join(q(x) for x in val)
                     if isinstance(val, list) else "")
        if v in _IN_BODY:
            return invalid(f, inst, _IN_BODY[v].format(**words))
        if v in _OTHER:
            reason, text = _OTHER[v]
            return cause(reason, f, text.format(**words))
        return invalid(f, inst, e.message)

    def _cel(self, s, v, path, bad, causes):
        # A rule that cannot be evaluated on what the schema already
        # refused at or below its node says nothing more (its CEL would
        # not get that far either).
        below = any(b == path or b.startswith(path + ".") or
                    b.startswith(path + "[") for b in bad) if path else \
            bool(bad)
        for r in s.get("x-kubernetes-validations", []):
            try:
                ok = bool(CEL_MIRRORS[r["rule"]](v))
            except (KeyError, TypeError, AttributeError):
                ok = below
            if not ok:
                causes.append(invalid(path, v, r.get(
                    "message", "failed rule: " + r["rule"])))
        for sub, c, p in _children(s, v, path):
            self._cel(sub, c, p, bad, causes)

    def _list_maps(self, s, v, path, causes):
        # As the API server's listtype validation: the second item with
        # a key already seen is a duplicate (a third is not named again),
        # the value named is the item (a set) or its keys (a map).
        if isinstance(v, list) and s.get("x-kubernetes-list-type") in \
                ("map", "set"):
            keys = s.get("x-kubernetes-list-map-keys", [])
            seen = {}
            for i, item in enumerate(v):
                dup = {x: item[x] for x in keys if x in item} if \
                    s["x-kubernetes-list-type"] == "map" and \
                    isinstance(item, dict) else item
                k = json.dumps(dup, sort_keys=True)
                seen[k] = seen.get(k, 0) + 1
                if seen[k] == 2:
                    causes.append(cause("FieldValueDuplicate",
                                        "%s[%d]" % (path, i),
                                        "Duplicate value: %s" % go_value(dup)))
        for sub, c, p in _children(s, v, path):
            self._list_maps(sub, c, p, causes)


def go_value(v):
    """v as Go's %#v prints an unstructured value (field.Duplicate):
    map[string]interface {}{"port":8080, "protocol":"TCP"}."""
    if isinstance(v, dict):
        return "map[string]interface {}{%s}" % ", ".join(
            "%s:%s" % (json.dumps(k), go_value(v[k])) for k in sorted(v))
    if isinstance(v, list):
        return "[]interface {}{%s}" % ", ".join(go_value(x) for x in v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if v is None:
        return "interface {}(nil)"
    return str(v)


# How the API server words what a JSON Schema keyword refused.
_IN_BODY = {
    "maximum": "{f} in body should be less than or equal to {val}",
    "minimum": "{f} in body should be greater than or equal to {val}",
    "minItems": "{f} in body should have at least {val} items",
    "minLength": "{f} in body should be at least {val} chars long",
    "pattern": "{f} in body should match '{val}'",
    "format": "{f} in body must be of type {val}: {qi}",
    "anyOf": "{f} in body must be of type {val}",
}
_OTHER = {
    "type": ("FieldValueTypeInvalid",
             "Invalid value: {qi}: {f} in body must be of type {val}: {qt}"),
    "enum": ("FieldValueNotSupported",
             "Unsupported value: {qi}: supported values: {vals}"),
    "maxItems": ("FieldValueTooMany",
                 "Too many: {n}: must have at most {val} items"),
    "maxProperties": ("FieldValueTooMany",
                      "Too many: {n}: must have at most {val} items"),
    "maxLength": ("FieldValueTooLong",
                  "Too long: may not be more than {val} bytes"),
}


_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"),
               (str, "string"), (list, "array"), (dict, "object"))


def _json_type(v):
    return next((n for t, n in _JSON_TYPES if isinstance(v, t)), "null")


def _children(s, v, path):
    """(schema, value, field path) of each child of v that s describes."""
    if isinstance(v, dict):
        for k, c in v.items():
            sub = s.get("properties", {}).get(k)
            if sub is None and isinstance(s.get("additionalProperties"),
                                          dict):
                sub = s["additionalProperties"]
            if isinstance(sub, dict):
                yield sub, c, path + "." + k if path else k
    elif isinstance(v, list) and isinstance(s.get("items"), dict):
        for i, c in enumerate(v):
            yield s["items"], c, "%s[%d]" % (path, i)
