# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every register and diagram of one run, from what was read: the one entry point of the module
register_report, the benchmark and the tests (no Ansible needed)."""

from __future__ import annotations

import json
import os

from ansible.module_utils.registers import changes, device_history, diagrams, licences, model
from ansible.module_utils.registers.model import RegisterInputError

LATEST = "latest.json"  # the last run's snapshot, what the next run compares with
HISTORY = "history.jsonl"  # one line per run: what changed in which register


def build(
    hosts,
    segments,
    sites=None,
    routes=None,
    departments=None,
    scopes=None,
    kea=None,
    ups=None,
    accounts=None,
    licence_data=None,
    catalogue=None,
    export=None,
    inventory="",
    read_at="",
    racks=None,
    history_dirs=None,
):
    """Returns {registers, diagrams (name -> DOT text), licences (results), summary}.

    EXPORT is {name, data (bytes), read_at} of the software export; ACCOUNTS {source, read_at, entries} as
    register_accounts returns it, or None when no directory is configured; KEA dhcp_info's answer; UPS
    {ups host: ups_info's answer}; HISTORY_DIRS {records_dir, daily_check_dir, plans_dir} for the device
    history (機器別 点検・修理履歴; None: no such register). Raises RegisterInputError naming every bad
    input."""
    problems = []
    try:
        model.check_hosts(hosts, segments)
    except RegisterInputError as exc:
        problems.extend(exc.problems)
    checked = []
    if licence_data is not None:
        try:
            checked = licences.check_licences(licence_data, catalogue)
        except RegisterInputError as exc:
            problems.extend(exc.problems)
    if racks:
        try:
            model.check_racks(racks, hosts)
        except RegisterInputError as exc:
            problems.extend(exc.problems)
    rows = None  # no export: the licence register shows the contract without installed counts
    if export is not None:
        try:
            rows = licences.read_export(export["data"], export.get("name", "export"))
        except RegisterInputError as exc:
            problems.extend(exc.problems)
    history = None
    if history_dirs is not None:
        try:
            history = device_history.read(**history_dirs)
        except RegisterInputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RegisterInputError(problems)

    depts = {d.get("code"): d.get("name", d.get("code")) for d in departments or [] if isinstance(d, dict)}
    software = licences.software_by_host(rows or [])
    inv_source = f"インベントリ {inventory}（資産管理台帳を含む）"
    live = []
    if kea:
        live.append("DHCP（Kea Control Agent）")
    if ups:
        live.append("UPS（NUT/SNMP）")
    export_source = (
        f"ソフトウェア資産エクスポート {export['name']}（{export.get('read_at', '')} 出力）" if export else ""
    )
    registers = [
        model.server_list(hosts, segments, sites, read_at, "、".join([inv_source] + live), kea=kea, ups=ups),
        model.device_details(
            hosts,
            segments,
            sites,
            depts,
            software,
            read_at,
            "、".join(s for s in (inv_source, export_source) if s),
        ),
        model.ip_register(hosts, segments, sites, scopes, read_at, inv_source + "、DHCP スコープ定義"),
    ]
    if accounts is not None:
        registers.append(
            model.account_register(
                accounts.get("entries") or [],
                depts,
                accounts.get("read_at", ""),
                accounts.get("source", "Active Directory（LDAPS）"),
            )
        )
    results = []
    if checked:
        results = licences.evaluate(checked, rows, hosts, segments)
        source = "ライセンス台帳（jichitai_licences）、" + (
            export_source or "ソフトウェア資産エクスポートなし"
        )
        registers.append(licences.licence_register(results, read_at, source))
        registers.append(licences.version_register(results, read_at, source))
    if racks:
        registers.append(
            model.rack_register(racks, hosts, read_at, "ラック搭載情報（jichitai_racks）、" + inv_source)
        )
    if history is not None:
        registers.append(device_history.history_register(history, hosts, read_at))
    pictures = {
        "overview": diagrams.overview(hosts, segments, sites, routes, inventory, read_at),
        "logical": diagrams.logical(hosts, segments, sites, inventory, read_at),
        "physical": diagrams.physical(hosts, segments, sites, inventory, read_at),
        "relations": diagrams.relations(hosts, segments, inventory, read_at),
    }
    if racks:
        pictures["racks"] = diagrams.racks(racks, hosts, inventory, read_at)
    summary = {
        "hosts": len(hosts),
        "pcs": sum(1 for h in hosts if model.is_pc(h)),
        "rows": {r["id"]: len(r["rows"]) for r in registers},
        "over": [{"no": r["no"], "product": r["product"], "over": r["over"]} for r in results if r["over"]],
        "lagging": {r["no"]: r["lagging"] for r in results if r["lagging"]},
        "missing": {r["no"]: r["missing"] for r in results if r["missing"]},
    }
    return {
        "registers": registers,
        "diagrams": pictures,
        "licences": results,
        "summary": summary,
        "inventory": inventory,
        "read_at": read_at,
    }


def previous_snapshot(report_dir):
    """The snapshot the last run left (None on the first run)."""
    path = os.path.join(report_dir, LATEST)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def compare(result, report_dir):
    """(record, snapshot): the run's record with its changes against the last run's snapshot."""
    previous = previous_snapshot(report_dir)
    current = changes.snapshot(result["registers"], result["diagrams"], result["read_at"])
    found = changes.diff(previous, result["registers"], current)
    record = {
        "inventory": result["inventory"],
        "read_at": result["read_at"],
        "registers": result["registers"],
        "licences": result["licences"],
        "summary": result["summary"],
        "changes": found,
        "diagram_changes": changes.diagram_changes(previous, current),
        "total_changes": changes.total(found),
        "first": previous is None,
        "previous_at": (previous or {}).get("read_at", ""),
    }
    return record, current


def _replace(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def write_run(
    result,
    record,
    current,
    report_dir,
    run_name,
    render_html=None,
    workbook=None,
    dot="dot",
    formats=("svg", "png"),
):
    """Writes the run's folder (diagrams, registers.{json,html,xlsx}, changes.json), then the snapshot the
    next run compares with and one line of history; returns {kind: path}."""
    run_dir = os.path.join(report_dir, run_name)
    os.makedirs(run_dir, exist_ok=True)
    rendered = diagrams.render(
        result["diagrams"], os.path.join(run_dir, "diagrams"), dot=dot, formats=formats
    )
    record["diagrams"] = {
        name: {fmt: os.path.relpath(path, run_dir) for fmt, path in files.items()}
        for name, files in rendered.items()
    }
    files = {"dir": run_dir}
    path = os.path.join(run_dir, "registers.json")
    _replace(path, json.dumps(record, ensure_ascii=False, indent=1, default=str) + "\n")
    files["json"] = path
    path = os.path.join(run_dir, "changes.json")
    _replace(path, json.dumps(record["changes"], ensure_ascii=False, indent=1) + "\n")
    files["changes"] = path
    if render_html is not None:
        path = os.path.join(run_dir, "registers.html")
        _replace(path, render_html(record))
        files["html"] = path
    if workbook is not None:
        path = os.path.join(run_dir, "registers.xlsx")
        workbook(record).save(path + ".tmp")
        os.replace(path + ".tmp", path)
        files["xlsx"] = path
    for name, by_format in rendered.items():
        for fmt, diagram in by_format.items():
            files[f"{name}.{fmt}"] = diagram
    snapshot = dict(current, read_at=record["read_at"], run=run_name)
    _replace(os.path.join(report_dir, LATEST), json.dumps(snapshot, ensure_ascii=False) + "\n")
    with open(os.path.join(report_dir, HISTORY), "a", encoding="utf-8") as handle:
        handle.write(
            json.dumps(
                {
                    "run": run_name,
                    "read_at": record["read_at"],
                    "total": record["total_changes"],
                    "changes": [c for c in record["changes"] if c["count"]],
                    "diagrams": record["diagram_changes"],
                },
                ensure_ascii=False,
            )
            + "\n"
        )
    return files
