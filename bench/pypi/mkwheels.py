#!/usr/bin/env python3
"""Builds the pip case's fixture: N small pure-Python wheels with a dependency
graph, a PEP 503 simple index over them (with #sha256= fragments), and a
requirements.txt naming every distribution.

PyPI is not reachable here, so the distributions are synthetic; each carries
~PAD bytes of incompressible data so that the bytes moved look like a real
small library, and every wheel is a valid wheel pip installs (METADATA, WHEEL,
RECORD with hashes). Deterministic: the same arguments give the same bytes.

usage: mkwheels.py OUTDIR [N] [PAD]
  OUTDIR/files/*.whl, OUTDIR/simple/index.html, OUTDIR/simple/<name>/index.html,
  OUTDIR/requirements.txt
"""
import base64
import hashlib
import os
import random
import sys
import zipfile


def record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    pad = int(sys.argv[3]) if len(sys.argv) > 3 else 30000
    rnd = random.Random(42)
    os.makedirs(os.path.join(out, "files"), exist_ok=True)
    os.makedirs(os.path.join(out, "simple"), exist_ok=True)
    names = ["benchdist-%03d" % i for i in range(n)]
    root_links = []
    for i, name in enumerate(names):
        # Each distribution depends on up to three earlier ones: a DAG that pip
        # has to walk, with shared dependencies.
        deps = sorted({rnd.randrange(i) for _ in range(min(i, 3))}) if i else []
        mod = name.replace("-", "_")
        version = "1.%d.0" % (i % 7)
        dist_info = "%s-%s.dist-info" % (mod, version)
        files = {
            "%s/__init__.py" % mod: ("__version__ = %r\n" % version).encode(),
            "%s/_data.py" % mod: ("BLOB = %r\n" % base64.b64encode(rnd.randbytes(pad)).decode()).encode(),
            "%s/METADATA" % dist_info: ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: wharf bench fixture\n%s\n" % (
                name, version, "".join("Requires-Dist: %s>=1.0\n" % names[d] for d in deps))).encode(),
            "%s/WHEEL" % dist_info: b"Wheel-Version: 1.0\nGenerator: wharf-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        }
        record = "".join("%s,%s,%d\n" % (p, record_hash(b), len(b)) for p, b in files.items()) + "%s/RECORD,,\n" % dist_info
        files["%s/RECORD" % dist_info] = record.encode()
        whl = "%s-%s-py3-none-any.whl" % (mod, version)
        path = os.path.join(out, "files", whl)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for p, b in files.items():
                info = zipfile.ZipInfo(p, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, b)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        page = os.path.join(out, "simple", name)
        os.makedirs(page, exist_ok=True)
        with open(os.path.join(page, "index.html"), "w") as f:
            f.write('<!DOCTYPE html>\n<html><body>\n<a href="../../files/%s#sha256=%s">%s</a><br/>\n</body></html>\n' % (whl, digest, whl))
        root_links.append('<a href="%s/">%s</a><br/>' % (name, name))
    with open(os.path.join(out, "simple", "index.html"), "w") as f:
        f.write("<!DOCTYPE html>\n<html><body>\n%s\n</body></html>\n" % "\n".join(root_links))
    with open(os.path.join(out, "requirements.txt"), "w") as f:
        f.write("".join("%s\n" % name for name in names))


if __name__ == "__main__":
    main()
