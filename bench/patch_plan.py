"""Planning the WSUS approval rings for 1,250 PCs and 25 servers: patch_approval_plan against json.load;
and the rollout waves of the same machines (patch_client_waves, outage_tiers | patch_server_waves).

    python -m bench patch_plan [--updates 3000] [--runs 3]

A generated catalogue in the read script's shape (PowerShell 5.1 dates), UPDATES updates not declined
(a year and more of monthly updates for Windows 10/11 and Windows Server, a third of them superseded,
drivers and Microsoft 365 Apps among them), each with the counts of the three rings' target groups for
the city's 1,275 machines (pilot 20 PCs + 1 server, servers 24, clients 1,230 PCs). The module's whole
decision (parse, validate, decide, render the Japanese table) is timed against the anchor measured in
the same run: a plain json.loads of the same catalogue text. The goal is under 5 s. Not a pass/fail test.
The waves are planned from generated host variables shaped as the city's inventory (1,250 PCs over 31
sites, 25 servers with three redundant pairs and dependencies), against sorting the same host names.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ansible.module_utils
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "plugins" / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(ROOT / "plugins" / "module_utils"))
GOAL_SECONDS = 5.0
GROUPS = {"LGWAN-Pilot": 21, "LGWAN-Servers": 24, "LGWAN-Clients": 1230}
KINDS = [
    ("Security Updates", ["Windows 11"]),
    ("Security Updates", ["Windows 10, version 1903 and later"]),
    ("Security Updates", ["Microsoft Server operating system-21H2"]),
    ("Update Rollups", ["Windows 10, version 1903 and later", "Windows 11", "Windows Server 2019"]),
    ("Updates", ["Microsoft 365 Apps/Office 2019/Office LTSC"]),
    ("Drivers", ["Windows 11 Client, version 22H2 and later, Servicing Drivers"]),
    ("Critical Updates", ["Windows Server 2019"]),
]


def catalogue(count: int, today: datetime, seed: int = 7) -> str:
    rnd = random.Random(seed)
    rows = []
    for i in range(count):
        classification, products = KINDS[i % len(KINDS)]
        released = today - timedelta(days=rnd.randint(0, 420), hours=rnd.randint(0, 23))
        groups = []
        for name, size in GROUPS.items():
            needed = rnd.randint(0, size // 3)
            groups.append(
                {
                    "Name": name,
                    "Approval": rnd.choice(["Install", "NotApproved", "NotApproved"]),
                    "NotInstalledCount": needed,
                    "DownloadedCount": 0,
                    "InstalledCount": size - needed,
                    "InstalledPendingRebootCount": 0,
                    "FailedCount": int(rnd.random() < 0.02),
                    "NotApplicableCount": 0,
                    "UnknownCount": 0,
                }
            )
        uid = str(uuid.UUID(int=rnd.getrandbits(128)))
        rows.append(
            {
                "Update": {
                    "Id": {"UpdateId": uid, "RevisionNumber": 200},
                    "Title": f"Update {i} (KB{5000000 + i})",
                    "KnowledgebaseArticles": [str(5000000 + i)],
                    "UpdateClassificationTitle": classification,
                    "ProductTitles": products,
                    "CreationDate": f"/Date({int(released.timestamp() * 1000)})/",
                    "ArrivalDate": f"/Date({int((released + timedelta(hours=9)).timestamp() * 1000)})/",
                    "IsSuperseded": i % 3 == 0,
                    "IsDeclined": False,
                    "IsApproved": False,
                },
                "UpdateId": uid,
                "Approved": "NotApproved",
                "Classification": classification,
                "ComputersNeedingThisUpdate": sum(g["NotInstalledCount"] for g in groups),
                "ComputersInstalledOrNotApplicable": sum(g["InstalledCount"] for g in groups),
                "ComputersWithErrors": sum(g["FailedCount"] for g in groups),
                "SupersededBy": [],
                "TargetGroups": groups,
            }
        )
    return json.dumps({"Server": "wsus01", "Updates": rows}, indent=4)


def estate(pcs: int = 1250, sites: int = 31) -> tuple[dict, list[str], list[str]]:
    """Host variables of PCs over sites and 25 servers (pairs, dependencies): (hostvars, pcs, servers)."""
    hv = {f"pc{i:04d}": {"jichitai_role": "pc", "jichitai_os_family": "windows", "jichitai_segment": "lgwan",
                          "jichitai_site": f"site{i % sites:02d}"} for i in range(pcs)}  # fmt: skip
    servers = {
        "ad01": ("ad_dc", "ad", []), "ad02": ("ad_dc", "ad", []), "dhcp01": ("dhcp", "dhcp", []),
        "dhcp02": ("dhcp", "dhcp", []), "radius01": ("radius", "radius", ["ad01", "ad02"]),
        "radius02": ("radius", "radius", ["ad01", "ad02"]),
    }  # fmt: skip
    for i in range(19):
        servers[f"srv{i:02d}"] = ("file_server" if i < 4 else "app_server", None, ["ad01", "ad02"])
    for name, (role, pair, deps) in servers.items():
        hv[name] = {"jichitai_role": role, "jichitai_os_family": "windows", "jichitai_segment": "lgwan",
                    "jichitai_site": "site00", "jichitai_depends_on": deps}  # fmt: skip
        if pair:
            hv[name]["jichitai_pair"] = pair
    return hv, sorted(n for n in hv if n.startswith("pc")), sorted(servers)


def waves(runs: int) -> None:
    import sys

    sys.path.insert(0, str(ROOT / "filter_plugins"))
    from outage_order import outage_tiers
    from patch_rollout import patch_client_waves, patch_server_waves

    hv, pcs, servers = estate()
    anchor, planned = [], []
    for _ in range(runs):
        started = time.perf_counter()
        sorted(hv, key=lambda n: (hv[n]["jichitai_site"], n))
        anchor.append(time.perf_counter() - started)
        started = time.perf_counter()
        client = patch_client_waves(pcs, hv, pilot_percent=5, max_wave=100)
        server = patch_server_waves(outage_tiers(sorted(hv), hv, "startup", scope=servers), hv)
        planned.append(time.perf_counter() - started)
    plan_s, anchor_s = statistics.median(planned), statistics.median(anchor)
    print(f"rollout waves: {len(pcs)} PCs in {len(client['waves'])} waves, {len(servers)} servers in "
          f"{len(server['waves'])} waves")  # fmt: skip
    print(f"anchor sort of the host names by site: {anchor_s * 1000:.2f} ms (median of {runs})")
    print(f"patch_client_waves + outage_tiers | patch_server_waves: {plan_s * 1000:.1f} ms, "
          f"{plan_s / anchor_s:.0f}x the anchor; goal < {GOAL_SECONDS:.0f} s: "
          f"{'met' if plan_s < GOAL_SECONDS else 'NOT met'}")  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench patch_plan")
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    spec = importlib.util.spec_from_file_location(
        "patch_approval_plan", ROOT / "library/patch_approval_plan.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    policy = yaml.safe_load((ROOT / "group_vars/all/patch_policy.yml").read_text(encoding="utf-8"))
    policy = policy["jichitai_patch_policy"]
    today = datetime(2026, 12, 14, 1, tzinfo=UTC)
    text = catalogue(args.updates, today)
    anchor, planned = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        json.loads(text)
        anchor.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = module.plan(text, policy, "2026-12-14", "wsus01")
        planned.append(time.perf_counter() - started)
    assert "problems" not in result, result["problems"][:5]
    machines = sum(GROUPS.values())
    plan_s, anchor_s = statistics.median(planned), statistics.median(anchor)
    print(f"catalogue: {args.updates} updates, {len(text) / 1e6:.1f} MB, 3 rings over {machines} machines")
    print(f"anchor json.loads: {anchor_s:.3f} s (median of {args.runs})")
    print(
        f"patch_approval_plan (parse, validate, decide, table): {plan_s:.3f} s, "
        f"{plan_s / anchor_s:.1f}x the anchor"
    )
    print(f"changes: {result['summary']['changes']}")
    print(f"goal < {GOAL_SECONDS:.0f} s: {'met' if plan_s < GOAL_SECONDS else 'NOT met'}")
    waves(args.runs)
    return 0
