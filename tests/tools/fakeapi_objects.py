"""Object algebra of the test API server: selectors, patches, apply.

  - parse_label_selector(text) / labels_match(reqs, labels): the
    labelSelector syntax (=, ==, !=, in, notin, key, !key), raising
    SelectorError with the API's wording on a bad selector;
  - parse_field_selector(text, supported) / fields_match(reqs, obj);
  - merge_patch(target, patch): RFC 7386;
  - Apply: server-side apply with field ownership per manager, at the
    granularity the structured merge of a CRD has: maps are merged key by
    key (unless x-kubernetes-map-type: atomic), lists are atomic (a CRD
    list without x-kubernetes-list-type is atomic; map lists such as
    peerWorkloads, egress and ingress are treated as atomic too, a
    simplification: one manager writes each of our objects, and their
    spec is atomic anyway). A field owned by another manager
    with a different value is a conflict unless forced; fields a manager
    applied before and applies no more are removed unless someone else
    owns them. managedFields are rendered in the FieldsV1 format.
"""
import copy
import json
import re

SERVER_META = ("uid", "resourceVersion", "creationTimestamp", "generation",
               "managedFields", "deletionTimestamp", "selfLink")


class SelectorError(ValueError):
    pass


# ---- label selectors -----------------------------------------------------

def _split_top(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"


def parse_label_selector(text):
    reqs = []
    for part in _split_top(text or ""):
        m = re.fullmatch(r"(%s)\s+(in|notin)\s+\(([^()]*)\)" % _KEY, part)
        if m:
            vals = [v.strip() for v in m.group(3).split(",") if v.strip()]
            if not vals:
                raise SelectorError("for 'in', 'notin' operators, values set "
                                    "can't be empty")
            reqs.append((m.group(1), m.group(2), vals))
            continue
        m = re.fullmatch(r"(%s)\s*(==|=|!=)\s*([-A-Za-z0-9_.]*)" % _KEY, part)
        if m:
            op = {"=": "in", "==": "in", "!=": "notin"}[m.group(2)]
            reqs.append((m.group(1), op, [m.group(3)]))
            continue
        m = re.fullmatch(r"(!?)\s*(%s)" % _KEY, part)
        if m:
            reqs.append((m.group(2), "!" if m.group(1) else "exists", []))
            continue
        raise SelectorError("unable to parse requirement: found '%s', "
                            "expected: in, notin, =, ==, !=, gt, lt" % part)
    return reqs


def labels_match(reqs, labels):
    labels = labels or {}
    for key, op, vals in reqs:
        has = key in labels
        if op == "in" and not (has and labels[key] in vals):
            return False
        if op == "notin" and has and labels[key] in vals:
            return False
        if op == "exists" and not has:
            return False
        if op == "!" and has:
            return False
    return True


def parse_field_selector(text, supported):
    reqs = []
    for part in _split_top(text or ""):
        m = re.fullmatch(r"([A-Za-z.]+)\s*(==|=|!=)\s*(.*)", part)
        if not m:
            raise SelectorError("invalid selector: '%s'; can't understand "
                                "'%s'" % (text, part))
        if m.group(1) not in supported:
            raise SelectorError('field label not supported: %s' % m.group(1))
        reqs.append((m.group(1), m.group(2) != "!=", m.group(3)))
    return reqs


def field_value(obj, dotted):
    v = obj
    for p in dotted.split("."):
        v = v.get(p, "") if isinstance(v, dict) else ""
    return "" if v is None else str(v)


def fields_match(reqs, obj):
    return all((field_value(obj, f) == v) == eq for f, eq, v in reqs)


# ---- merge patch ---------------------------------------------------------

def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# ---- field sets ----------------------------------------------------------

def _sub(schema, key):
    if not isinstance(schema, dict):
        return None
    if key in schema.get("properties", {}):
        return schema["properties"][key]
    ap = schema.get("additionalProperties")
    return ap if isinstance(ap, dict) else None


def field_set(obj, schema):
    """The leaf paths (tuples) of obj: maps are walked, lists and atomic
    maps are leaves. Server-managed and identity fields are left out."""
    out = set()
    for k, v in obj.items():
        if k in ("apiVersion", "kind"):
            continue
        if k == "metadata":
            for mk, mv in (v or {}).items():
                if mk in SERVER_META or mk in ("name", "namespace"):
                    continue
                if mk in ("labels", "annotations") and isinstance(mv, dict):
                    for lk in mv:
                        out.add(("metadata", mk, lk))
                else:
                    out.add(("metadata", mk))
            continue
        _walk(v, _sub(schema, k), (k,), out)
    return out


def _walk(v, schema, path, out):
    atomic = isinstance(schema, dict) and \
        schema.get("x-kubernetes-map-type") == "atomic"
    if isinstance(v, dict) and v and not atomic:
        for k, c in v.items():
            _walk(c, _sub(schema, k), path + (k,), out)
    else:
        out.add(path)


def get_path(obj, path):
    for p in path:
        if not isinstance(obj, dict) or p not in obj:
            return None
        obj = obj[p]
    return obj


def _del_path(obj, path):
    parents = []
    for p in path[:-1]:
        if not isinstance(obj, dict) or p not in obj:
            return
        parents.append((obj, p))
        obj = obj[p]
    if isinstance(obj, dict):
        obj.pop(path[-1], None)
    # Maps emptied by the removal go too.
    for parent, key in reversed(parents):
        if parent[key] == {}:
            del parent[key]
        else:
            break


def _merge_into(dst, src, schema):
    for k, v in src.items():
        sub = _sub(schema, k)
        atomic = isinstance(sub, dict) and \
            sub.get("x-kubernetes-map-type") == "atomic"
        if isinstance(v, dict) and isinstance(dst.get(k), dict) and \
                not atomic:
            _merge_into(dst[k], v, sub)
        else:
            dst[k] = copy.deepcopy(v)


def render_fields(paths, obj=None, schema=None):
    """managedFields' FieldsV1 of paths. With obj and its schema, a
    leaf that is a map list (x-kubernetes-list-type: map) is rendered as
    the API server's structured merge does: one "k:{...}" entry per item
    (its keys, sorted, as compact JSON) with "." and each of the item's
    fields (maps field by field unless atomic); ownership stays at the
    list (see the module's note), only the rendering, and so the stored
    size, is the real server's."""
    out = {}
    for p in sorted(paths):
        d = out
        for part in p:
            d = d.setdefault("f:" + part, {})
        if obj is None:
            continue
        sub, val = schema, obj
        for part in p:
            sub = _sub(sub, part)
            val = val.get(part) if isinstance(val, dict) else None
        if isinstance(sub, dict) and isinstance(val, list) and \
                sub.get("x-kubernetes-list-type") == "map":
            keys = sub.get("x-kubernetes-list-map-keys", [])
            for item in val:
                if not isinstance(item, dict):
                    continue
                k = "k:" + json.dumps({kk: item.get(kk) for kk in
                                       sorted(keys)},
                                      separators=(",", ":"))
                e = d.setdefault(k, {".": {}})
                leaves = set()
                _walk(item, sub.get("items"), (), leaves)
                for lp in sorted(leaves):
                    dd = e
                    for part in lp:
                        dd = dd.setdefault("f:" + part, {})
    return out


def _related(a, b):
    n = min(len(a), len(b))
    return a[:n] == b[:n]


class Conflict(Exception):
    def __init__(self, items):
        super().__init__("conflict")
        self.items = items      # [(manager, path)]


def apply(existing, owners, applied, manager, force, schema):
    """Server-side apply of applied (the manager's whole intent) onto
    existing (None to create). owners: {manager: set(paths)} as stored.
    Returns (object without server metadata, new owners); raises Conflict.
    """
    mine = field_set(applied, schema)
    owners = {m: set(s) for m, s in owners.items()}
    base = copy.deepcopy(existing) if existing is not None else {}
    conflicts = []
    for other, paths in owners.items():
        if other == manager:
            continue
        for q in list(paths):
            for p in mine:
                if _related(p, q):
                    short = p if len(p) <= len(q) else q
                    if get_path(base, short) != get_path(applied, short):
                        conflicts.append((other, q))
                        if force:
                            paths.discard(q)
                    break
    if conflicts and not force:
        raise Conflict(conflicts)
    others = set().union(*[s for m, s in owners.items() if m != manager]) \
        if len(owners) > (1 if manager in owners else 0) else set()
    for p in sorted(owners.get(manager, set()) - mine - others,
                    key=len, reverse=True):
        _del_path(base, p)
    _merge_into(base, {k: v for k, v in applied.items() if k != "metadata"},
                schema)
    meta = base.setdefault("metadata", {})
    for k, v in (applied.get("metadata") or {}).items():
        if k in SERVER_META:
            continue
        if k in ("labels", "annotations") and isinstance(v, dict):
            meta.setdefault(k, {}).update(copy.deepcopy(v))
        else:
            meta[k] = copy.deepcopy(v)
    for k in ("labels", "annotations"):
        if meta.get(k) == {}:
            del meta[k]
    base["apiVersion"] = applied.get("apiVersion", base.get("apiVersion"))
    base["kind"] = applied.get("kind", base.get("kind"))
    owners[manager] = mine
    return base, {m: s for m, s in owners.items() if s}


def update_owners(old, new, owners, manager, schema):
    """Ownership after an Update (POST/PUT/merge patch) by manager: the
    fields it changed become its own."""
    newset = field_set(new, schema)
    oldset = field_set(old, schema) if old is not None else set()
    changed = {p for p in newset
               if p not in oldset or get_path(old, p) != get_path(new, p)}
    out = {}
    for m, s in owners.items():
        s = (s & newset) - changed
        if s:
            out[m] = s
    if changed:
        out[manager] = out.get(manager, set()) | changed
    return out
