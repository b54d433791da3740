#!/usr/bin/env python3
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's distribution share: a stand-in installer for every entry of the software catalogue and
the catalogue that describes them.

An MSI entry gets a real MSI built with wixl from tests/fixtures/msi/product.wxs carrying the entry's
ProductCode and version (its name is ASCII, "<id> (lab stand-in)"); an exe entry a small stand-in file.
wixl stamps every build with a new package code, so the checksums are those of the files built here:
OUT/catalogue.yml is the catalogue with them (jichitai_software_catalogue, for -e @OUT/catalogue.yml),
and jichitai_distribution_share pointing at OUT/share. Files already built are kept, so a second run
changes nothing.

  python3 lab/endpoint/build_distribution.py [--catalogue group_vars/all/software_catalogue.yml] \
      [--out lab/run/distribution]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
WXS = REPO / "tests" / "fixtures" / "msi" / "product.wxs"


def build_msi(dest: Path, product_code: str, version: str, name: str) -> None:
    """An MSI at DEST with this ProductCode, ProductVersion and ProductName (wixl)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        payload = Path(tmp) / "readme.txt"
        payload.write_text(f"{name} {version}\n", encoding="ascii")
        part = dest.with_name(dest.name + ".part")
        subprocess.run(
            ["wixl", "-D", f"ProductCode={product_code}", "-D", f"Version={version}", "-D", f"Name={name}",
             "-D", "Payload=readme.txt", "-o", str(part), str(WXS)],
            check=True, capture_output=True, cwd=tmp,  # wixl finds a File's Source only relative to it
        )  # fmt: skip
        part.replace(dest)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalogue", default=str(REPO / "group_vars/all/software_catalogue.yml"))
    ap.add_argument("--out", default=str(REPO / "lab/run/distribution"))
    args = ap.parse_args(argv)
    out = Path(args.out).resolve()
    share = out / "share"
    entries = yaml.safe_load(Path(args.catalogue).read_text(encoding="utf-8"))["jichitai_software_catalogue"]
    lab = []
    for entry in entries:
        path = share.joinpath(*entry["installer"].split("/"))
        if not path.is_file():
            if entry["installer"].lower().endswith(".msi"):
                build_msi(path, entry["product_id"], entry["version"], f"{entry['id']} (lab stand-in)")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(f"lab stand-in for {entry['id']} {entry['version']}\n".encode())
        lab.append({**entry, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
    text = yaml.safe_dump(
        {"jichitai_software_catalogue": lab,
         "jichitai_distribution_share": {"controller_path": str(share), "windows_path": str(share)}},
        allow_unicode=True, sort_keys=False,
    )  # fmt: skip
    target = out / "catalogue.yml"
    if not target.is_file() or target.read_text(encoding="utf-8") != "---\n" + text:
        target.write_text("---\n" + text, encoding="utf-8")
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
