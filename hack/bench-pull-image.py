#!/usr/bin/env python3
"""Builds the pull benchmark's image as an OCI layout in OUT/layout.

Three gzip layers, about 190 MB uncompressed:
  small   6,000 small text files in 60 directories;
  random  150 MB of random data (3 x 50 MiB);
  text    compressible text, plus a whiteout of a file of the first layer.
Deterministic except for the random layer. Prints one summary line.

Usage: hack/bench-pull-image.py OUT [ARCH]
"""
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tarfile

out = sys.argv[1]
arch = sys.argv[2] if len(sys.argv) > 2 else {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, "amd64")
rng = random.Random(7)
layout = os.path.join(out, "layout")
blobs = os.path.join(layout, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)


def add(t, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1500000000
    info.mode = 0o644
    t.addfile(info, io.BytesIO(data))


def add_dir(t, name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = 1500000000
    t.addfile(info)


words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]


def small(t):
    add_dir(t, "small")
    for d in range(60):
        add_dir(t, "small/d%02d" % d)
        for f in range(100):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(50, 400)))
            add(t, "small/d%02d/f%03d.txt" % (d, f), text.encode())


def randomdata(t):
    add_dir(t, "random")
    for n in range(3):
        add(t, "random/blob%d" % n, os.urandom(50 << 20))


def text(t):
    add_dir(t, "text")
    corpus = "\n".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(400000))
    add(t, "text/corpus.txt", corpus.encode())
    add_dir(t, "small")
    add_dir(t, "small/d00")
    add(t, "small/d00/.wh.f000.txt", b"")


def store(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest


layers, diff_ids = [], []
for build in (small, randomdata, text):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        build(t)
    tar = raw.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
    compressed = gzip.compress(tar, compresslevel=6, mtime=0)
    layers.append({
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "digest": store(compressed),
        "size": len(compressed),
    })

config = json.dumps({
    "architecture": arch, "os": "linux", "config": {"Cmd": ["/bin/sh"]},
    "rootfs": {"type": "layers", "diff_ids": diff_ids},
}).encode()
manifest = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": store(config), "size": len(config)},
    "layers": layers,
}).encode()
manifest_digest = store(manifest)
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
        "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "latest"},
    }]}, f)
with open(os.path.join(layout, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
total = sum(layer["size"] for layer in layers)
print("benchmark image: %d layers, %d MiB compressed, manifest %s" % (len(layers), total >> 20, manifest_digest))
