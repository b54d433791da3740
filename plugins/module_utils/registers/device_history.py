# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""機器別 点検・修理履歴 (REQUIREMENTS MNT-FAULT §5-3(9)): per device, every inspection and every repair,
from the records the other operations already write - nothing typed twice.

  inspections   the daily checks (<daily check dir>/<time>/daily_check.json): per month how many checks
                judged the device and how many found it 注意/異常, and every 注意/異常 line with its date
  faults        the fault records naming the device (<records>/faults/FLT-*.yml, 機器)
  incidents     the incident records naming it (<records>/incidents/INC-*.yml, 対象機器)
  restores      the repaired-PC restores (playbooks/pc_restore.yml): its work reports in the plan store
                (<plans>/<plan id>/reports/<time>/report.json), one line per run and PC

A folder that does not exist is 記録なし, not an error; a file that cannot be read or is not what its
writer writes fails the run naming the file (RegisterInputError), before anything is written. Devices with
no history are not listed."""

from __future__ import annotations

import glob
import json
import os
import traceback

from ansible.module_utils.daily.common import STATE_JA
from ansible.module_utils.registers.model import RegisterInputError, register, role_ja

try:
    from jichitai_ops.records import registers as fault_records
except ImportError:
    FAULT_RECORDS_ERROR = traceback.format_exc()
    fault_records = None
else:
    FAULT_RECORDS_ERROR = None

ID = "device_history"
TITLE = "機器別 点検・修理履歴"
CLAUSE = "MNT-FAULT §5-3(9)"
NONE = "記録なし"
RESTORE_PLAYBOOK = "pc_restore.yml"
FINDINGS = ("critical", "warning")  # the lines listed: 異常, 注意
CELL_LIMIT = 32000  # an Excel cell holds 32,767 characters
COLUMNS = (
    ("host", "機器"),
    ("description", "名称"),
    ("role", "種別"),
    ("last", "最終記録日"),
    ("inspections", "点検（月別）"),
    ("findings", "点検で注意・異常"),
    ("faults", "障害・修理"),
    ("incidents", "インシデント"),
    ("restores", "修理後の復旧"),
)


# ---- reading ---------------------------------------------------------------------------------------------


def _source(name, path, state, count=0):
    return {"name": name, "path": path or "", "state": state, "count": count}


def read_records(records_dir, problems):
    """(faults, incidents, source) from the records folder, every bad file added to PROBLEMS."""
    if not records_dir or not os.path.isdir(records_dir):
        return [], [], _source("障害・インシデント記録", records_dir, NONE)
    if fault_records is None:
        problems.append(
            f"{records_dir}: the fault and incident records need the jichitai_ops package "
            f"(pip install -e .): {FAULT_RECORDS_ERROR.strip().splitlines()[-1]}"
        )
        return [], [], _source("障害・インシデント記録", records_dir, NONE)
    found = {}
    for kind in ("fault", "incident"):
        records, bad = fault_records.list_records(records_dir, kind)
        problems.extend(bad)
        found[kind] = records
    count = len(found["fault"]) + len(found["incident"])
    state = f"障害 {len(found['fault'])}件・インシデント {len(found['incident'])}件" if count else NONE
    return found["fault"], found["incident"], _source("障害・インシデント記録", records_dir, state, count)


def _date(value):
    text = str(value or "")
    return text[:10] if len(text) >= 10 and text[4] == "-" and text[7] == "-" else ""


def read_daily_checks(daily_dir, problems):
    """(checks, source): each check {at, path, items}, oldest first; every bad file added to PROBLEMS."""
    if not daily_dir or not os.path.isdir(daily_dir):
        return [], _source("日次点検", daily_dir, NONE)
    checks = []
    for path in sorted(glob.glob(os.path.join(daily_dir, "*", "daily_check.json"))):
        try:
            with open(path, encoding="utf-8") as handle:
                record = json.load(handle)
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: not a daily check record: {exc}")
            continue
        bad = _daily_problems(record)
        if bad:
            problems.append(f"{path}: not a daily check record: {bad}")
            continue
        checks.append({"at": record["checked_at"], "path": path, "items": record["items"]})
    checks.sort(key=lambda c: c["at"])
    if not checks:
        return [], _source("日次点検", daily_dir, NONE)
    first, last = _date(checks[0]["at"]), _date(checks[-1]["at"])
    state = f"{len(checks)}回、{first}〜{last}"
    return checks, _source("日次点検", daily_dir, state, len(checks))


def _daily_problems(record):
    if not isinstance(record, dict):
        return "not a JSON object"
    if not _date(record.get("checked_at")):
        return f"checked_at {record.get('checked_at')!r} is not a time"
    items = record.get("items")
    if not isinstance(items, list):
        return "no items list"
    for index, entry in enumerate(items, start=1):
        if not isinstance(entry, dict) or not entry.get("host") or entry.get("state") not in STATE_JA:
            return f"item #{index} has no host or a state other than {', '.join(STATE_JA)}"
    return ""


def read_restores(plans_dir, problems):
    """(restores, source): each restore run {at, plan, verdict, hosts: {host: {steps, changed, failed}}}."""
    if not plans_dir or not os.path.isdir(plans_dir):
        return [], _source("修理後の端末の復旧の作業報告", plans_dir, NONE)
    restores = []
    for path in sorted(glob.glob(os.path.join(plans_dir, "*", "reports", "*", "report.json"))):
        try:
            with open(path, encoding="utf-8") as handle:
                report = json.load(handle)
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: not a work report: {exc}")
            continue
        if not isinstance(report, dict) or not isinstance(report.get("rows", []), list):
            problems.append(f"{path}: not a work report (no rows list)")
            continue
        if os.path.basename(str(report.get("playbook") or "")) != RESTORE_PLAYBOOK:
            continue
        if not _date(report.get("started")):
            problems.append(f"{path}: not a work report: started {report.get('started')!r} is not a time")
            continue
        hosts = {}
        for row in report.get("rows") or []:
            host = row.get("host") if isinstance(row, dict) else None
            if not host or host == "localhost":
                continue
            entry = hosts.setdefault(str(host), {"steps": 0, "changed": 0, "failed": 0})
            entry["steps"] += 1
            entry["changed"] += row.get("actual") == "changed"
            entry["failed"] += row.get("verdict") == "failed"
        restores.append(
            {
                "at": report["started"],
                "plan": str(report.get("plan_id") or path.split(os.sep)[-4]),
                "verdict": str(report.get("verdict_ja") or report.get("verdict") or ""),
                "unplanned": report.get("mode") == "unplanned",
                "hosts": hosts,
            }
        )
    restores.sort(key=lambda r: r["at"])
    state = f"{len(restores)}回" if restores else NONE
    return restores, _source("修理後の端末の復旧の作業報告", plans_dir, state, len(restores))


def read(records_dir=None, daily_check_dir=None, plans_dir=None):
    """Everything the register is made from; RegisterInputError naming every file that cannot be used."""
    problems = []
    faults, incidents, records_source = read_records(records_dir, problems)
    checks, daily_source = read_daily_checks(daily_check_dir, problems)
    restores, restore_source = read_restores(plans_dir, problems)
    if problems:
        raise RegisterInputError(problems)
    return {
        "faults": faults,
        "incidents": incidents,
        "checks": checks,
        "restores": restores,
        "sources": [daily_source, records_source, restore_source],
    }


# ---- the register ----------------------------------------------------------------------------------------


class _Names:
    """The inventory's devices by name (any case) and asset number; a site's gateways by site id."""

    def __init__(self, hosts):
        self.hosts = {h["name"]: h for h in hosts}
        self.by_key = {}
        self.sites = {}
        for host in hosts:
            self.by_key[str(host["name"]).lower()] = host["name"]
            if host.get("asset_no"):
                self.by_key.setdefault(str(host["asset_no"]).lower(), host["name"])
            if host.get("site"):
                self.sites.setdefault(str(host["site"]), []).append(host["name"])

    def device(self, text):
        """The inventory's name for TEXT, else TEXT itself (a device outside the inventory)."""
        text = str(text or "").strip()
        return self.by_key.get(text.lower(), text)

    def judged(self, entry):
        """The inventory devices a daily check line is about: its host, or a site line's devices it names."""
        host = str(entry["host"])
        if host in self.hosts:
            return [host]
        name = self.by_key.get(host.lower())
        if name:
            return [name]
        detail = str(entry.get("detail") or "")
        return [n for n in self.sites.get(host, []) if f"{n}:" in detail]


def _month_line(month, counts):
    bad = [f"{STATE_JA[s]} {counts[s]}回" for s in ("critical", "warning", "unknown") if counts.get(s)]
    return f"{month} 点検 {counts['checks']}回（{'・'.join(bad) if bad else 'すべて正常'}）"


def _findings(lines):
    """The 注意/異常 lines, a line repeated on consecutive checks told once with its span and count."""
    out, latest = [], {}
    for date, text, run in lines:
        span = latest.get(text)
        if span is not None and span["run"] == run - 1:
            span["to"], span["run"], span["times"] = date, run, span["times"] + 1
        elif span is None or span["run"] != run:  # the same line twice in one check is told once
            latest[text] = {"from": date, "to": date, "text": text, "run": run, "times": 1}
            out.append(latest[text])
    return [
        (f"{f['from']}" if f["times"] == 1 else f"{f['from']}〜{f['to']}（{f['times']}回）") + f" {f['text']}"
        for f in out
    ]


def _fault_line(fault):
    status = (
        fault_records.choice_ja("fault", "status", fault.get("status"))
        if fault_records
        else fault.get("status")
    )
    parts = [f"{fault['id']} {_date(fault.get('detected_at'))} {fault.get('title') or ''}（{status}）"]
    for name, label in (("symptom", "症状"), ("cause", "原因"), ("action", "対処"), ("recovered_at", "復旧")):
        if fault.get(name):
            value = _date(fault[name]) if name == "recovered_at" else fault[name]
            parts.append(f"{label}: {value}")
    return " ".join(parts)


def _incident_line(incident):
    status = (
        fault_records.choice_ja("incident", "status", incident.get("status"))
        if fault_records
        else incident.get("status")
    )
    line = f"{incident['id']} {_date(incident.get('detected_at'))} {incident.get('title') or ''}（{status}）"
    if incident.get("cause"):
        line += f" 原因: {incident['cause']}"
    return line


def _restore_line(restore, entry):
    plan = "計画・承認なしの実行" if restore["unplanned"] else f"作業計画 {restore['plan']}"
    failed = f"・失敗 {entry['failed']}件" if entry["failed"] else ""
    return (
        f"{_date(restore['at'])} 修理後の端末の復旧 {restore['verdict']}"
        f"（変更 {entry['changed']}件{failed}、{plan}）"
    )


def _cell(lines):
    """The lines as one cell; the oldest left out when it would not fit an Excel cell."""
    text = "\n".join(lines)
    if len(text) <= CELL_LIMIT:
        return text
    kept = []
    size = 40
    for line in reversed(lines):
        if size + len(line) + 1 > CELL_LIMIT:
            break
        kept.append(line)
        size += len(line) + 1
    return f"（古い {len(lines) - len(kept)}行は省略）\n" + "\n".join(reversed(kept))


def history_register(data, hosts, read_at):
    """The register: one row per device with any history, the inventory's order first, then devices the
    records name that the inventory does not hold."""
    names = _Names(hosts)
    devices = {}

    def of(name):
        return devices.setdefault(
            name, {"months": {}, "findings": [], "faults": [], "incidents": [], "restores": [], "dates": []}
        )

    for run, check in enumerate(data["checks"]):
        date, month = _date(check["at"]), _date(check["at"])[:7]
        worst = {}
        for entry in check["items"]:
            state = entry["state"]
            if state == "skipped":  # 対象外: not judged
                continue
            for name in names.judged(entry):
                previous = worst.get(name)
                if previous is None or _rank(state) < _rank(previous):
                    worst[name] = state
                if state in FINDINGS:
                    text = (
                        f"{STATE_JA[state]} {entry.get('check') or ''}: {entry.get('detail') or ''}".strip()
                    )
                    of(name)["findings"].append((date, text, run))
        for name, state in worst.items():
            device = of(name)
            counts = device["months"].setdefault(month, {"checks": 0})
            counts["checks"] += 1
            counts[state] = counts.get(state, 0) + 1
            device["dates"].append(date)
    for fault in data["faults"]:
        device = of(names.device(fault.get("device")))
        device["faults"].append((fault.get("detected_at") or "", _fault_line(fault)))
        device["dates"].extend(_date(fault.get(k)) for k in ("detected_at", "recovered_at", "closed_at"))
    for incident in data["incidents"]:
        for host in dict.fromkeys(names.device(h) for h in incident.get("hosts") or []):
            device = of(host)
            device["incidents"].append((incident.get("detected_at") or "", _incident_line(incident)))
            device["dates"].extend(
                _date(incident.get(k)) for k in ("detected_at", "recovered_at", "closed_at")
            )
    for restore in data["restores"]:
        for host, entry in restore["hosts"].items():
            device = of(names.device(host))
            device["restores"].append(_restore_line(restore, entry))
            device["dates"].append(_date(restore["at"]))

    order = [h["name"] for h in hosts if h["name"] in devices]
    order += sorted(n for n in devices if n not in names.hosts)
    rows = []
    for name in order:
        device = devices[name]
        host = names.hosts.get(name)
        rows.append(
            {
                "host": name,
                "description": (host or {}).get("description") or "",
                "role": role_ja(host) if host else "インベントリにない機器",
                "inspections": _cell([_month_line(m, c) for m, c in sorted(device["months"].items())]),
                "findings": _cell(_findings(device["findings"])),
                "faults": _cell([line for _at, line in sorted(device["faults"])]),
                "incidents": _cell([line for _at, line in sorted(device["incidents"])]),
                "restores": _cell(device["restores"]),
                "last": max((d for d in device["dates"] if d), default=""),
            }
        )
    sources = data["sources"]
    source = "、".join(f"{s['name']} {s['path']}（{s['state']}）" for s in sources)
    reg = register(ID, TITLE, CLAUSE, source, read_at, COLUMNS, "host", rows, one_sheet=False)
    reg["sources"] = sources
    reg["empty"] = NONE if all(s["state"] == NONE for s in sources) else "履歴のある機器なし"
    return reg


def _rank(state):
    return ("critical", "warning", "unknown", "ok", "skipped").index(state)
