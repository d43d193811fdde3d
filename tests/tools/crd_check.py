#!/usr/bin/python3
"""Check CRDs and objects as the API server would, without one.

  crd_check.py [--crd-dir DIR] [--crd FILE]... [OBJECTS.yaml ...]

The CRDs of DIR (default install/kubernetes/) and of every --crd must be
structural and strict (fakeapi_schema.structural_problems: every node
typed, no preserve-unknown-fields at the top, no additionalProperties
beside properties, every CEL rule mirrored); every document of each
OBJECTS file must then pass its CRD: metadata, openAPIV3Schema, CEL
rules, and no undeclared field. Prints each problem, one per line, as
FILE: kind/name: field: message; exits 1 if there is any.
"""
import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakeapi_schema as fs  # noqa: E402

TOP = os.path.normpath(os.path.join(os.path.dirname(
    os.path.abspath(__file__)), "..", ".."))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--crd-dir", default=os.path.join(TOP, "install",
                                                     "kubernetes"))
    p.add_argument("--crd", action="append", default=[])
    p.add_argument("objects", nargs="*")
    a = p.parse_args()
    crds = fs.load_crds(sorted(glob.glob(os.path.join(a.crd_dir, "*.yaml")))
                        + a.crd)
    bad = 0
    schemas = {}
    for crd in crds:
        problems = fs.structural_problems(crd)
        for problem in problems:
            print("%s: %s" % (crd["metadata"]["name"], problem))
        bad += len(problems)
        if problems:
            continue
        for v in crd["spec"]["versions"]:
            schemas[(crd["spec"]["group"] + "/" + v["name"],
                     crd["spec"]["names"]["kind"])] = fs.Schema(crd, v)
    if bad:
        return 1
    for path in a.objects:
        try:
            with open(path) as f:
                docs = fs.yaml_load_all(f.read())
        except (OSError, fs.yaml.YAMLError) as e:
            print("%s: %s" % (path, e))
            bad += 1
            continue
        for d in docs:
            what = "%s/%s" % (d.get("kind"), d.get("metadata", {}).get("name"))
            s = schemas.get((d.get("apiVersion"), d.get("kind")))
            if s is None:
                print("%s: %s: no CRD for %s" % (path, what,
                                                  d.get("apiVersion")))
                bad += 1
                continue
            for c in s.validate(d):
                print("%s: %s: %s: %s" % (path, what, c["field"],
                                          c["message"]))
                bad += 1
            for u in s.unknown_fields(d):
                print("%s: %s: %s: field not declared in schema" %
                      (path, what, u))
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
