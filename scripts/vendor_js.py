"""Refresh the browser libraries the pages use, from the npm registry, into src/zgckg/web/static/vendor/.

The pages work offline: every script and stylesheet they load is served by zgckg itself. What is vendored,
at which version, from which files of the package, is recorded in ``vendor/vendored.json``, next to each
library's licence and the SHA-256 of every file copied.

    python scripts/vendor_js.py            # fetch the recorded versions again (a check: the hashes must match)
    python scripts/vendor_js.py --latest   # move every library to the newest version on npm
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "src" / "zgckg" / "web" / "static" / "vendor"
MANIFEST = VENDOR / "vendored.json"

LIBRARIES = {
    # directory: (npm package, {file in the package: name here})
    "cytoscape": ("cytoscape", {"dist/cytoscape.min.js": "cytoscape.min.js"}),
    "chart.js": ("chart.js", {"dist/chart.umd.min.js": "chart.umd.min.js"}),
    "yasgui": ("@zazuko/yasgui", {"build/yasgui.min.js": "yasgui.min.js", "build/yasgui.min.css": "yasgui.min.css"}),
}
LICENCE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "license")

MIT = """MIT License

Copyright (c) {holder}

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of
the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO
THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT,
TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latest", action="store_true", help="take the newest version of every library")
    args = parser.parse_args()
    recorded = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {}
    manifest = {}
    for directory, (package, files) in LIBRARIES.items():
        version = _latest(package) if args.latest or directory not in recorded else recorded[directory]["version"]
        entry = _vendor(directory, package, version, files)
        old = recorded.get(directory)
        if old and old["version"] == version and old["files"] != entry["files"]:
            print(f"{package}@{version}: the registry's files differ from those recorded", file=sys.stderr)
            return 1
        manifest[directory] = entry
        print(f"{package}@{version} → vendor/{directory}/")
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return 0


def _latest(package: str) -> str:
    return subprocess.run(["npm", "view", package, "version"], check=True, capture_output=True, text=True).stdout.strip()


def _vendor(directory: str, package: str, version: str, files: dict[str, str]) -> dict:
    target = VENDOR / directory
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{package}@{version}", "--silent"], cwd=tmp, check=True, capture_output=True)
        tarball = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tarball) as archive:
            members = {m.name.removeprefix("package/"): m for m in archive.getmembers() if m.isfile()}
            meta = json.loads(archive.extractfile(members["package.json"]).read())
            hashes = {}
            for source, name in files.items():
                data = archive.extractfile(members[source]).read()
                (target / name).write_bytes(data)
                hashes[name] = hashlib.sha256(data).hexdigest()
            licence = next((members[n] for n in LICENCE_FILES if n in members), None)
            if licence is not None:
                text = archive.extractfile(licence).read().decode("utf-8")
            elif meta.get("license") == "MIT":  # the package states MIT but ships no licence file
                author = meta.get("author")
                holder = author.get("name") if isinstance(author, dict) else author or package
                text = MIT.format(holder=holder)
            else:
                raise SystemExit(f"{package}@{version}: no licence file and no licence to write one from")
    (target / "LICENSE").write_text(text, encoding="utf-8")
    repository = meta.get("repository")
    return {
        "package": package, "version": version, "licence": meta.get("license"),
        "homepage": meta.get("homepage") or (repository.get("url") if isinstance(repository, dict) else repository),
        "files": hashes,
    }


if __name__ == "__main__":
    sys.exit(main())
