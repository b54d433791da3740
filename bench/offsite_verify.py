"""Off-site medium verification (backup/bagit.verify) against the read and hash limits and restic.

    .venv/bin/python -m bench offsite_verify [--gb 1.5] [--runs 3] [--keep DIR]

Generated data (random bytes, so neither restic's deduplication nor compression helps anyone): a file
server's mix, most octets in files of 16-64 MiB and some thousands of files of 4-256 KiB under
department folders, GB gigabytes in all, written as a BLAKE3 bag with bagit.write_bag into a
temporary folder under /tmp, given an xxh128 manifest as well (bagit.add_manifest), and backed up
into a restic repository (free space is checked first: about 2.5 x GB while the data is made).
Everything is read once before timing, so every figure is from the page cache: what is measured is
the CPU cost of each reader; a real medium's disk is slower still and would limit all of them alike.

Measured in the same run, RUNS times each, medians reported:
  read      `cat` of every payload file to /dev/null (xargs, manifest order): the read limit
  b3sum     `b3sum` of every payload file (Debian b3sum, threads as it chooses)
  xxh128sum `xxh128sum` of every payload file (Debian xxhash)
  sha256sum `sha256sum` of every payload file
  ours-b3   bagit.verify(bag, "blake3"): tag manifest, then every payload file once
  ours-xxh  bagit.verify(bag, "xxh128")
  restic    `restic check --read-data` on a repository holding the same data: the anchor
  oxum      bagit.oxum_check(bag): the completeness check that reads no file

The floor of an algorithm is the slower of `read` and its hash tool (b3sum for blake3, xxh128sum for
xxh128). Goal: ours within 1.5 x its floor and faster than the anchor. Printed: one table with each
figure's seconds, GB/s, ratios to the anchor and to both floors and the time for 100 GB at that
rate; then whether the goal is met for each algorithm. Exit 1 when a verification finds a
problem in the untouched bag or restic's check fails (the figures would mean nothing); no timing is
asserted. Needs restic, b3sum, xxhash (lab/install-deps.sh) and the Python blake3/xxhash packages.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins" / "module_utils"))
from backup import bagit, hashing  # noqa: E402

GB = 1e9
MIB = 1024 * 1024
# ours → (algorithm, its hash tool)
OURS = {"ours-b3": ("blake3", "b3sum"), "ours-xxh": ("xxh128", "xxh128sum")}
GOAL_FLOOR = 1.5
DEPARTMENTS = ["総務課", "市民課", "税務課", "福祉課", "建設課", "教育総務課"]


def generate(folder: Path, total: int, seed: int = 8493) -> tuple[int, int]:
    """A file server's mix of TOTAL octets of random data under FOLDER: (octets, files)."""
    rng = random.Random(seed)
    small_budget = total // 10
    octets = files = 0
    while octets < total:
        small = octets < small_budget
        size = rng.randint(4 * 1024, 256 * 1024) if small else rng.randint(16 * MIB, 64 * MIB)
        size = min(size, total - octets)
        where = folder / rng.choice(DEPARTMENTS) / f"{2020 + files % 7}"
        where.mkdir(parents=True, exist_ok=True)
        with open(where / f"{'文書' if small else 'archive'}-{files:05d}.bin", "wb") as out:
            left = size
            while left:
                block = os.urandom(min(left, 4 * MIB))
                out.write(block)
                left -= len(block)
        octets += size
        files += 1
    return octets, files


def timed(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def over_files(tool: list[str], listing: Path, cwd: Path) -> None:
    with open(listing, "rb") as names:
        subprocess.run(["xargs", "-0", *tool], stdin=names, stdout=subprocess.DEVNULL, cwd=cwd, check=True)


def floors(figures: dict[str, float]) -> dict[str, tuple[str, float]]:
    """ours → (name of its floor, seconds): the slower of read and the algorithm's hash tool."""
    out = {}
    for name, (_, tool) in OURS.items():
        slower = max(("read", tool), key=figures.get)
        out[name] = (slower, figures[slower])
    return out


def table(figures: dict[str, float], octets: int, anchor: str, limits: dict) -> list[str]:
    b3, xxh = limits["ours-b3"][1], limits["ours-xxh"][1]
    rows = [f"{'figure':<11}{'seconds':>9}{'GB/s':>8}{'x anchor':>10}{'x floor b3':>12}{'x floor xxh':>13}"
            f"{'100 GB':>10}"]
    for name, seconds in figures.items():
        rate = octets / GB / seconds if seconds else float("inf")
        rows.append(f"{name:<11}{seconds:>9.3f}{rate:>8.2f}{seconds / figures[anchor]:>10.2f}"
                    f"{seconds / b3:>12.2f}{seconds / xxh:>13.2f}{100 / rate / 60:>8.1f} m")
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench offsite_verify",
                                     description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--gb", type=float, default=1.5, help="payload size in GB (1e9 octets)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="make the data in this folder and leave it there")
    args = parser.parse_args(argv)
    missing = [t for t in ("restic", "b3sum", "xxh128sum", "sha256sum", "xargs") if not shutil.which(t)]
    missing += [lib for lib in (hashing.missing_library(a) for a, _ in OURS.values()) if lib]
    if missing:
        print(f"missing: {', '.join(missing)} (lab/install-deps.sh, pip)", file=sys.stderr)
        return 2
    total = int(args.gb * GB)
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="offsite-verify-"))
    base.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(base).free
    if free < 2.5 * total:
        print(f"not enough free space in {base}: {free / GB:.1f} GB, need {2.5 * total / GB:.1f} GB",
              file=sys.stderr)
        return 2
    try:
        return measure(base, total, args.runs)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


def prepare(base: Path, total: int) -> tuple[Path, dict, int, int]:
    source, bag, repo = base / "source", base / "medium" / "bag", base / "repo"
    started = time.perf_counter()
    octets, files = generate(source, total)
    print(f"data: {octets / GB:.2f} GB in {files} files, generated in {time.perf_counter() - started:.1f} s",
          flush=True)
    written = bagit.write_bag(source, bag, "blake3", tags={"External-Identifier": "BENCH"})
    print(f"bag written (copy + blake3): {written['seconds']:.1f} s, "
          f"{octets / GB / written['seconds']:.2f} GB/s", flush=True)
    shutil.rmtree(source)
    added = bagit.add_manifest(bag, "xxh128")
    print(f"xxh128 manifest added: {added['seconds']:.1f} s", flush=True)
    env = {**os.environ, "RESTIC_REPOSITORY": str(repo), "RESTIC_PASSWORD_FILE": str(base / "restic.pw"),
           "RESTIC_CACHE_DIR": str(base / "cache")}
    (base / "restic.pw").write_text(os.urandom(16).hex())
    subprocess.run(["restic", "init", "-q"], env=env, check=True)
    subprocess.run(["restic", "backup", "-q", "--host", "bench", "data"], env=env, cwd=bag, check=True)
    return bag, env, octets, files


def measure(base: Path, total: int, runs: int) -> int:
    bag, env, octets, files = prepare(base, total)
    listing = base / "payload.list"
    names = sorted(bagit.read_manifest(bag / "manifest-blake3.txt"))
    listing.write_bytes(b"".join(p.encode() + b"\0" for p in names))
    over_files(["cat"], listing, bag)  # into the page cache
    check = subprocess.run(["restic", "check", "--read-data"], env=env, capture_output=True, text=True)
    if check.returncode != 0:
        print(f"restic check failed: {check.stderr.strip()}", file=sys.stderr)
        return 1
    for algorithm, _ in OURS.values():
        result = bagit.verify(bag, algorithm)
        if not result["ok"] or result["files"] != files:
            print(f"verify ({algorithm}) found problems in the untouched bag: {result['problems'][:5]}",
                  file=sys.stderr)
            return 1
    figures = {
        "read": timed(runs, lambda: over_files(["cat"], listing, bag)),
        "b3sum": timed(runs, lambda: over_files(["b3sum"], listing, bag)),
        "xxh128sum": timed(runs, lambda: over_files(["xxh128sum"], listing, bag)),
        "sha256sum": timed(runs, lambda: over_files(["sha256sum"], listing, bag)),
        "ours-b3": timed(runs, lambda: bagit.verify(bag, "blake3")),
        "ours-xxh": timed(runs, lambda: bagit.verify(bag, "xxh128")),
        "restic": timed(runs, lambda: subprocess.run(["restic", "check", "--read-data"], env=env,
                                                     capture_output=True, check=True)),
        "oxum": timed(runs, lambda: bagit.oxum_check(bag)),
    }
    limits = floors(figures)
    print(f"\npayload {octets / GB:.2f} GB in {files} files, median of {runs}, {os.cpu_count()} CPUs; "
          "anchor: restic check --read-data; floor: the slower of read and the algorithm's hash tool "
          f"(b3: {limits['ours-b3'][0]}, xxh: {limits['ours-xxh'][0]})")
    print("\n".join(table(figures, octets, "restic", limits)))
    print()
    for name, (algorithm, _) in OURS.items():
        ratio = figures[name] / limits[name][1]
        print(f"goal {algorithm}: within {GOAL_FLOOR} x floor: {'yes' if ratio <= GOAL_FLOOR else 'NO'} "
              f"({ratio:.2f} x); faster than restic check --read-data: "
              f"{'yes' if figures[name] < figures['restic'] else 'NO'} "
              f"({figures['restic'] / figures[name]:.1f} x faster)")
    return 0
