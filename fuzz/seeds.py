#!/usr/bin/env python3
"""Writes seed inputs for the fuzz targets into fuzz/corpus/<target>/ (not committed).

Seeds are optional (every target also starts from nothing) but make the module-level targets
start from requests and settings the suites already use instead of random bytes:
  settings        byte 0 = module index (sorted dist/*.wasm), then a settings object
  modules         byte 0 = module index, settings, a NUL, then the AdmissionRequest
  pod_extraction  the AdmissionRequests of every suite
  quantity, hostpath, secrets, image_ref, glob: hand-picked texts.
Needs Python 3 with PyYAML. Run from anywhere: python3 fuzz/seeds.py
"""
import hashlib
import json
import os
import sys

import yaml

FUZZ = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(FUZZ)
DIST = os.environ.get("AKS_DIST", os.path.join(ROOT, "dist"))


def write(target, data):
    d = os.path.join(FUZZ, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def request_of(path):
    with open(path) as f:
        doc = yaml.safe_load(f)
    if isinstance(doc, dict) and doc.get("kind") == "AdmissionReview":
        doc = doc.get("request")
    return doc


def module_seeds():
    modules = sorted(f[:-5] for f in os.listdir(DIST) if f.endswith(".wasm"))
    for index, pid in enumerate(modules):
        folder = os.path.join(ROOT, "policies", pid)
        try:
            with open(os.path.join(folder, "cases.yaml")) as f:
                suite = yaml.safe_load(f) or {}
        except OSError:
            continue
        default = (suite.get("defaults") or {}).get("settings") or {}
        settings = [default] + [c["settings"] for c in suite.get("cases", []) if "settings" in c]
        unique = []
        for s in settings:
            if s not in unique:
                unique.append(s)
        for s in unique:
            write("settings", bytes([index]) + json.dumps(s).encode())
        for case in suite.get("cases", []):
            if "request" not in case:
                continue
            req = request_of(os.path.join(folder, case["request"]))
            s = case.get("settings", default) or {}
            write("modules", bytes([index]) + json.dumps(s).encode() + b"\0" + json.dumps(req).encode())
            write("pod_extraction", json.dumps(req).encode())


TEXTS = {
    "quantity": ["1", "500m", "0.5", "1Gi", "1e3", "5E-2", "+1.5Ki", "-0.000000001", ".5", "1.",
                 "9223372036854775807", "1E18", "123456789012345678901234567890n", "1e-9"],
    "hostpath": ["/var/log\n/var", "//var/./log/\n/var/log", "/var/run/docker.sock\n/run",
                 "/home/alice/.ssh\n/home/*/.ssh", "/data2\n/data", "/\n/etc", "/a/../b\n/a"],
    "secrets": ["\x00password=hunter2xyz\nDB_PASSWORD", "\x02AccountKey=abc;EndpointSuffix=x\ndbPassword",
                "\x01-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\nTLS_CERT",
                "\x03postgres://u:p4ss@db/x?sv=1&sig=abc\napi-key",
                "\x04eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln\n*secret*"],
    "image_ref": ["nginx\nnginx", "myacr.azurecr.io/app:1@sha256:" + "a" * 64 + "\nmyacr.azurecr.io/*",
                  "localhost:5000/x\n**", "docker.io/library/busybox:latest\ndocker.io/**"],
    "glob": ["a*b\naxxb", "**/x\na/b/x", "lit\nlit"],
}


def main():
    for target, texts in TEXTS.items():
        for t in texts:
            write(target, t.encode())
    if os.path.isdir(DIST):
        module_seeds()
    else:
        print(f"no {DIST}: module seeds skipped (run `make dist`)", file=sys.stderr)


if __name__ == "__main__":
    main()
