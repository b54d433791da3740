#!/usr/bin/env python3
"""The lab's definitions source: builds the signature databases (.ndb, .hdb, .ldb) into one versioned,
unsigned ClamAV container (sigtool --build --unsigned -> jichitai-lab.cud) that the endpoint's freshclam
fetches as a custom database, and makes a container look old (its header's build time and the file's time).

  signatures.py publish SOURCE_DIR BUILD_DIR [SIGFILE ...]   # next version: the base set plus SIGFILEs
  signatures.py restamp DAYS FILE ...                         # build time and mtime DAYS days back
A SIGFILE adds its lines to the database of its extension (.ndb, .hdb or .ldb).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

NAME = "jichitai-lab"
BUILDER = "jichitai-lab"
EXTENSIONS = (".ndb", ".hdb", ".ldb")


def _hex(text: str) -> str:
    return text.encode().hex()


def base_signatures() -> dict[str, list[str]]:
    """Harmless markers, one per database type, so that every type is loaded and counted."""
    import hashlib

    marker = b"jichitai lab hdb marker\n"
    return {
        ".ndb": [f"Jichitai.Lab.Marker-NDB:0:*:{_hex('JICHITAI-LAB-AV-MARKER')}"],
        ".hdb": [f"{hashlib.md5(marker).hexdigest()}:{len(marker)}:Jichitai.Lab.Marker-HDB"],
        ".ldb": [
            f"Jichitai.Lab.Logical-LDB;Engine:51-255,Target:0;0&1;{_hex('JICHITAI-LAB')};{_hex('LOGICAL-MARKER')}"
        ],
    }


def header_of(path: Path) -> list[str]:
    with path.open("rb") as handle:
        return handle.read(512).decode("ascii").rstrip(" \0").split(":")


def publish(source: Path, build: Path, extra: list[Path]) -> int:
    container = source / f"{NAME}.cud"
    version = int(header_of(container)[2]) + 1 if container.exists() else 1
    sigs = base_signatures()
    for path in extra:
        if path.suffix not in EXTENSIONS:
            raise SystemExit(f"{path}: a signature file ends in {', '.join(EXTENSIONS)}")
        sigs[path.suffix] += [line for line in path.read_text(encoding="ascii").splitlines() if line.strip()]
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    (build / "COPYING").write_text(
        "Signatures of the jichitai-ops lab (test markers only).\n", encoding="ascii"
    )
    for ext, lines in sigs.items():
        (build / f"{NAME}{ext}").write_text("\n".join(lines) + "\n", encoding="ascii")
    # sigtool asks for the builder's name on stdin and looks for the previous version in --datadir
    subprocess.run(
        ["sigtool", f"--datadir={build}", f"--build={NAME}.cud", "--unsigned", f"--cvd-version={version}"],
        input=f"{BUILDER}\n",
        text=True,
        cwd=build,
        check=True,
        capture_output=True,
    )
    source.mkdir(parents=True, exist_ok=True)
    tmp = source / f".{NAME}.cud.tmp"
    shutil.copyfile(build / f"{NAME}.cud", tmp)
    os.replace(tmp, container)
    print(f"{container} version {version}, {sum(len(v) for v in sigs.values())} signatures")
    return version


def restamp(days: float, files: list[Path]) -> None:
    """The container as if built DAYS days ago: its header and the header line of its .info (libclamav
    compares the two), the archive's MD5 in the header, and the file's time."""
    import gzip
    import hashlib
    import io
    import tarfile

    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    stamp = when.strftime("%d %b %Y %H-%M +0000")
    for path in files:
        data = path.read_bytes()
        parts = data[:512].decode("ascii").rstrip(" \0").split(":")
        if parts[0] != "ClamAV-VDB" or len(parts) < 9:
            raise SystemExit(f"{path}: not a ClamAV container")
        parts[1], parts[8] = stamp, str(int(when.timestamp()))
        members = []
        with tarfile.open(fileobj=io.BytesIO(data[512:]), mode="r:gz") as archive:
            for member in archive.getmembers():
                content = archive.extractfile(member).read()
                if member.name.endswith(".info"):
                    lines = content.decode("ascii").split("\n")
                    info = lines[0].split(":")
                    info[1], info[8] = parts[1], parts[8]
                    content = "\n".join([":".join(info), *lines[1:]]).encode("ascii")
                members.append((member, content))
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
            for member, content in members:
                member.size = len(content)
                archive.addfile(member, io.BytesIO(content))
        body = gzip.compress(raw.getvalue(), mtime=0)
        parts[5] = hashlib.md5(body).hexdigest()
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(":".join(parts).ljust(512).encode("ascii") + body)
        os.utime(tmp, (when.timestamp(), when.timestamp()))
        os.replace(tmp, path)
        print(f"{path} built {stamp}")


def main(argv: list[str]) -> None:
    if len(argv) >= 3 and argv[0] == "publish":
        publish(Path(argv[1]), Path(argv[2]), [Path(a) for a in argv[3:]])
    elif len(argv) >= 3 and argv[0] == "restamp":
        restamp(float(argv[1]), [Path(a) for a in argv[2:]])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
