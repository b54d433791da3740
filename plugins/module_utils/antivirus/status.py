# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state of the definitions pipeline (national platform → management server → endpoints): one row
per endpoint with its version, its definitions' time and age against the policy, 正常 or 異常, and the
Prometheus textfile metric jichitai_av_definitions_updated_timestamp_seconds per endpoint (the alert
rule JichitaiAvDefinitionsOld fires on it).

Two sources: the management server's export (the proprietary product; its format is that of
plugins/module_utils/daily/antivirus.py) and the ClamAV engines read on the hosts themselves
(engine.definitions)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from ansible.module_utils.antivirus.engine import AvEngineError, definitions
from ansible.module_utils.daily.antivirus import _endpoints
from ansible.module_utils.daily.common import DailyInputError, parse_moment
from ansible.module_utils.sweep.metrics import sample

OK, CRITICAL = "ok", "critical"
STATE_JA = {OK: "正常", CRITICAL: "異常"}
ROLE_JA = {"server": "管理サーバ", "endpoint": "端末・サーバ"}
SOURCE_JA = {"export": "管理サーバの出力", "engine": "エンジン（ClamAV）"}
METRIC = "jichitai_av_definitions_updated_timestamp_seconds"
ACTION_STALE = (
    "配信元（管理サーバ・定義の取得元）から定義を取得できているか確認し、該当端末の定義を手動で更新する"
)
ACTION_SERVER = "管理サーバが配信元から定義ファイルを取得できているか確認し、手動で更新する"
ACTION_UPDATE = "定義の取得元への経路と更新ログを確認し、定義を手動で更新する"
ACTION_NONE = "定義ファイルを配信し直し、エンジンが読み込めることを確認する"


class AvStatusError(ValueError):
    """Inputs the status cannot be built from; problems names each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def age_text(hours):
    if hours is None:
        return "不明"
    if hours < 48:
        return f"{hours:.1f} 時間"
    return f"{hours / 24:.1f} 日（{hours:.0f} 時間）"


def update_ja(ok, fetched):
    """What the update before the read did: new definitions fetched, nothing newer, failed, or none ran."""
    if ok is None:
        return "—"
    if not ok:
        return "失敗"
    return "新しい定義を取得" if fetched else "最新（取得なし）"


def _row(host, role, source, version, updated, now, max_age, reasons=(), action=""):
    hours = None if updated is None else round((now - updated).total_seconds() / 3600, 1)
    reasons = list(reasons)
    if updated is None:
        reasons = reasons or ["定義の日時が分かりません"]
        action = action or ACTION_NONE
    elif hours > max_age:
        reasons.insert(0, f"定義が {age_text(hours)}前のもの（基準 {max_age} 時間以内）")
        action = action or (ACTION_SERVER if role == "server" else ACTION_STALE)
    state = CRITICAL if reasons else OK
    return {
        "host": host,
        "role": role,
        "role_ja": ROLE_JA[role],
        "source": source,
        "source_ja": SOURCE_JA[source],
        "version": version,
        "updated_at": updated.isoformat(timespec="seconds") if updated else None,
        "updated_ts": int(updated.timestamp()) if updated else None,
        "age_hours": hours,
        "age_ja": age_text(hours),
        "state": state,
        "state_ja": STATE_JA[state],
        "reason_ja": "。".join(reasons),
        "update_ja": "—",
        "action_ja": action if state == CRITICAL else "",
    }


def _export_rows(export, now, max_age, problems):
    if not export:
        return []
    if not isinstance(export, Mapping) or not isinstance(export.get("server"), Mapping):
        problems.append("管理サーバの出力: server がありません")
        return []
    rows = []
    server = export["server"]
    name = str(server.get("name") or "antivirus")
    try:
        updated = parse_moment(server.get("definition_date"), name, "definition_date")
        rows.append(
            _row(
                name,
                "server",
                "export",
                str(server.get("definition_version") or "版数不明"),
                updated,
                now,
                max_age,
            )
        )
        endpoints = _endpoints(export.get("endpoints") or [])
    except DailyInputError as exc:
        problems.append(f"管理サーバの出力: {exc}")
        return rows
    for index, entry in enumerate(endpoints):
        if not isinstance(entry, Mapping) or not entry.get("endpoint"):
            problems.append(f"管理サーバの出力: 端末 #{index + 1} に名前がありません")
            continue
        host = str(entry["endpoint"])
        try:
            updated = parse_moment(entry.get("definition_date"), host, "definition_date")
        except DailyInputError as exc:
            problems.append(f"管理サーバの出力: {exc}")
            continue
        rows.append(
            _row(
                host,
                "endpoint",
                "export",
                str(entry.get("definition_version") or "版数不明"),
                updated,
                now,
                max_age,
            )
        )
    return rows


def _engine_rows(engines, now, max_age, problems):
    rows = []
    for entry in engines or []:
        try:
            found = definitions(entry)
        except AvEngineError as exc:
            problems.append(f"エンジン: {exc}")
            continue
        reasons, action = [], ""
        if found["basis"] == "none":
            reasons.append("定義ファイルがありません")
            action = ACTION_NONE
        if found["update_ok"] is False:
            reasons.append(
                "定義の更新（freshclam）に失敗しました"
                + (f": {found['update_detail'][:200]}" if found["update_detail"] else "")
            )
            action = ACTION_UPDATE
        row = _row(
            found["host"],
            "endpoint",
            "engine",
            found["version"],
            found["updated_at"],
            now,
            max_age,
            reasons,
            action,
        )
        row["basis"] = found["basis"]
        row["update_ok"] = found["update_ok"]
        row["fetched"] = found["fetched"]
        row["update_ja"] = update_ja(found["update_ok"], found["fetched"])
        row["databases"] = [
            {
                k: (v.isoformat(timespec="seconds") if isinstance(v, datetime.datetime) else v)
                for k, v in d.items()
            }
            for d in found["databases"]
        ]
        rows.append(row)
    return rows


def status(export, engines, policy, now, inventory=None):
    """The record of one check: checked_at, inventory, clause, max_age_hours, verdict, counts, rows
    (異常 first, then by host). policy is validated (policy.validate); now an aware datetime."""
    problems = []
    max_age = policy["max_age_hours"]
    rows = _export_rows(export, now, max_age, problems) + _engine_rows(engines, now, max_age, problems)
    seen = {}
    for row in rows:
        key = (row["host"], row["source"])
        if key in seen:
            problems.append(f"{row['host']}: 同じ端末が {row['source_ja']} に 2 回あります")
        seen[key] = row
    if problems:
        raise AvStatusError(problems)
    rows.sort(key=lambda r: (r["state"] != CRITICAL, r["role"] != "server", r["host"], r["source"]))
    critical = sum(r["state"] == CRITICAL for r in rows)
    verdict = CRITICAL if critical else OK
    return {
        "checked_at": now.isoformat(timespec="seconds"),
        "inventory": inventory,
        "clauses": ["OPS-AV", policy["clause"]],
        "max_age_hours": max_age,
        "verdict": verdict,
        "verdict_ja": STATE_JA[verdict],
        "counts": {"total": len(rows), OK: len(rows) - critical, CRITICAL: critical},
        "rows": rows,
    }


def textfile(record):
    """The node exporter textfile of the record: one sample per endpoint with a known time (the newest
    when an endpoint is both in the export and read from its engine)."""
    newest = {}
    for row in record["rows"]:
        if row["updated_ts"] is not None:
            newest[row["host"]] = max(newest.get(row["host"], 0), row["updated_ts"])
    lines = [
        f"# HELP {METRIC} When the host's antivirus definitions were built or last updated (Unix time).",
        f"# TYPE {METRIC} gauge",
    ]
    lines += [sample(METRIC, {"jichitai_host": host}, ts) for host, ts in sorted(newest.items())]
    return "\n".join(lines) + "\n"


ALERT_NAME = "JichitaiAvDefinitionsOld"  # the same name and labels as the monitoring's rule


def alerts(rows, report=""):
    """An Alertmanager v2 alert per 異常 row, labelled as the rule JichitaiAvDefinitionsOld labels its
    alert, for an estate whose Prometheus does not scrape the textfile metric yet."""
    out = []
    for row in rows or []:
        if not isinstance(row, Mapping) or row.get("state") != CRITICAL:
            continue
        out.append({
            "labels": {"alertname": ALERT_NAME, "severity": "warning", "jichitai_host": str(row["host"]),
                       "jichitai_check": "av_definitions"},
            "annotations": {
                "summary_ja": f"{row['host']} のウイルス定義ファイル: {row.get('reason_ja') or '異常'}",
                "action_ja": str(row.get("action_ja") or ACTION_STALE),
                "report": str(report),
            },
        })  # fmt: skip
    return out
