# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security patch status (セキュリティパッチ適用状況) from the patch records of one run.

A patch record is one host's outcome of one run::

    {host, segment: lgwan|internet|mynumber, ring: pilot|servers|clients,
     result: installed|failed|pending_reboot|not_reached|up_to_date,
     kbs: {update: installed|missing|failed(HRESULT)}, checked_at (ISO 8601),
     oldest_missing_release (YYYY-MM-DD of the oldest update still missing, or null)}

An update is a Windows update by its KB (``KB5034441``) or a Debian package at the version the run
brought or wanted, in apt's own notation (``openssl=3.0.15-1~deb12u1``): the matrix reads the same for
both. A failed package has no result code (``failed``); a failed KB always has one.

A host updated with the My Number bundle also carries, optionally,
``packages: {name: {version, state: installed|missing|failed, previous}}`` (the version the run
brought, and the one before it or null) beside the same packages in kbs. A record with packages may
have empty kbs; a failed package counts as a failed update, a missing one as a missing update.

A host's status is the first that holds: not reached (未到達); failed (適用失敗: the run failed or a KB
failed); pending reboot (再起動待ち); missing (未適用あり: a KB missing); else fully patched (適用済).
Compliance is the hosts fully patched over the hosts reached; a host not reached is counted apart,
never as compliant nor as missing, since nothing is known of it this run.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from .dates import JST

SEGMENTS = ("lgwan", "internet", "mynumber")
SEGMENT_JA = {"lgwan": "LGWAN接続系", "internet": "インターネット接続系", "mynumber": "個人番号利用事務系"}
RINGS = ("pilot", "servers", "clients")
RING_JA = {"pilot": "先行適用", "servers": "サーバ", "clients": "端末"}
RESULTS = ("installed", "failed", "pending_reboot", "not_reached", "up_to_date")
RESULT_JA = {
    "installed": "今回適用",
    "failed": "失敗",
    "pending_reboot": "再起動待ち",
    "not_reached": "未到達",
    "up_to_date": "最新",
}
# the host's status, worst first
STATUSES = ("not_reached", "failed", "pending_reboot", "missing", "compliant")
STATUS_JA = {
    "not_reached": "未到達",
    "failed": "適用失敗",
    "pending_reboot": "再起動待ち",
    "missing": "未適用あり",
    "compliant": "適用済",
}
KB_STATE_JA = {"installed": "適用済", "missing": "未適用", "failed": "失敗", "not_reached": "未確認"}
# Windows Update result codes a city's engineer meets most (WUA / CBS / Win32), with what to do first
HRESULT_JA = {
    "0x80240022": "すべての更新で処理に失敗（WU_E_ALL_UPDATES_FAILED）。"
    "個々の更新のエラーと WindowsUpdate.log を確認",
    "0x8024402c": "更新サーバの名前が解決できない（WU_E_PT_WINHTTP_NAME_NOT_RESOLVED）。"
    "WSUS の名前とプロキシを確認",
    "0x80070643": "インストール中の致命的なエラー（ERROR_INSTALL_FAILURE）。再起動後に再適用",
    "0x800f081f": "修復に必要なソースがない（CBS_E_SOURCE_MISSING）。DISM でコンポーネントストアを修復",
    "0x8024001e": "更新サービスが停止された（WU_E_SERVICE_STOP）。端末を再起動して再適用",
    "0x80070005": "アクセスが拒否された（E_ACCESSDENIED）。サービスのアカウントと権限を確認",
    "0x80070070": "ディスクの空き容量不足（ERROR_DISK_FULL）。空き容量を確保して再適用",
}
KB_RE = re.compile(r"^KB\d{6,8}$")
PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+=[0-9A-Za-z][0-9A-Za-z.+~:-]*$")
FAILED_RE = re.compile(r"^failed(?:\((0x[0-9A-Fa-f]{8})\))?$")
PACKAGE_STATES = ("installed", "missing", "failed")
FIELDS = ("host", "segment", "ring", "result", "kbs", "checked_at", "oldest_missing_release")


class StatusInputError(Exception):
    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def kb_state(value: str):
    """('installed'|'missing'|'failed', HRESULT or None); ValueError for anything else. A failed
    package has no HRESULT (``failed``); a failed KB must carry one (checked with its record)."""
    if value in ("installed", "missing"):
        return value, None
    match = FAILED_RE.match(str(value))
    if match:
        return "failed", match.group(1).lower() if match.group(1) else None
    raise ValueError(value)


def hresult_ja(code) -> str:
    return HRESULT_JA.get(str(code).lower(), "") if code else ""


def _record_problems(index: int, rec) -> list[str]:
    if not isinstance(rec, dict):
        return [f"記録 {index + 1} 件目: 辞書ではありません"]
    where = f"記録 {index + 1} 件目（{rec.get('host') or 'ホスト名なし'}）"
    problems = [f"{where}: {f} がありません" for f in FIELDS if f not in rec]
    if not isinstance(rec.get("host"), str) or not rec.get("host"):
        problems.append(f"{where}: host を指定してください")
    if "segment" in rec and rec["segment"] not in SEGMENTS:
        problems.append(f"{where}: segment は {'/'.join(SEGMENTS)} のいずれか（{rec['segment']!r}）")
    if "ring" in rec and rec["ring"] not in RINGS:
        problems.append(f"{where}: ring は {'/'.join(RINGS)} のいずれか（{rec['ring']!r}）")
    if "result" in rec and rec["result"] not in RESULTS:
        problems.append(f"{where}: result は {'/'.join(RESULTS)} のいずれか（{rec['result']!r}）")
    kbs = rec.get("kbs")
    if "kbs" in rec and not isinstance(kbs, dict):
        problems.append(f"{where}: kbs は KB ごとの状態の辞書にしてください")
    elif isinstance(kbs, dict):
        for kb, value in kbs.items():
            if not (KB_RE.match(str(kb)) or PACKAGE_RE.match(str(kb))):
                problems.append(
                    f"{where}: KB 番号（KB1234567）でもパッケージ＝版（name=1.0-1）でもありません（{kb}）"
                )
            try:
                state, code = kb_state(value)
                if state == "failed" and code is None and KB_RE.match(str(kb)):
                    raise ValueError(value)  # a failed Windows update always has its HRESULT
            except ValueError:
                problems.append(
                    f"{where}: {kb} の状態は installed/missing/failed(0x........) のいずれか（{value!r}）"
                )
        if rec.get("result") == "installed" and not kbs and not rec.get("packages"):
            problems.append(f"{where}: result {rec.get('result')} なのに kbs が空です")
        if rec.get("result") == "up_to_date" and any(v != "installed" for v in kbs.values()):
            problems.append(f"{where}: result up_to_date なのに未適用または失敗の KB があります")
    problems += _package_problems(where, rec)
    if "checked_at" in rec:
        try:
            datetime.fromisoformat(str(rec["checked_at"]))
        except ValueError:
            problems.append(f"{where}: checked_at が ISO 8601 の日時ではありません（{rec['checked_at']!r}）")
    if rec.get("oldest_missing_release") is not None:
        try:
            date.fromisoformat(str(rec["oldest_missing_release"]))
        except ValueError:
            problems.append(
                f"{where}: oldest_missing_release が日付（YYYY-MM-DD）ではありません"
                f"（{rec['oldest_missing_release']!r}）"
            )
    return problems


def _package_problems(where: str, rec: dict) -> list[str]:
    packages = rec.get("packages")
    if packages is None:
        return []
    if not isinstance(packages, dict):
        return [f"{where}: packages はパッケージごとの辞書にしてください"]
    problems = []
    for name, entry in packages.items():
        if not isinstance(entry, dict) or entry.get("state") not in PACKAGE_STATES:
            problems.append(f"{where}: パッケージ {name} の state は {'/'.join(PACKAGE_STATES)} のいずれか")
    if rec.get("result") == "up_to_date" and any(
        isinstance(e, dict) and e.get("state") != "installed" for e in packages.values()
    ):
        problems.append(f"{where}: result up_to_date なのに未適用または失敗のパッケージがあります")
    return problems


def check_records(records) -> list[dict]:
    """Every record's problems at once (StatusInputError); the records otherwise."""
    if not isinstance(records, list) or not records:
        raise StatusInputError(["records: パッチ記録を 1 件以上指定してください"])
    problems = []
    for index, rec in enumerate(records):
        problems += _record_problems(index, rec)
    hosts = [r.get("host") for r in records if isinstance(r, dict)]
    for host in sorted({h for h in hosts if hosts.count(h) > 1 and h}):
        problems.append(f"{host}: 1 回の実行に記録が {hosts.count(host)} 件あります（1 ホスト 1 件）")
    if problems:
        raise StatusInputError(problems)
    return records


def host_status(rec: dict) -> str:
    if rec["result"] == "not_reached":
        return "not_reached"
    states = [kb_state(v)[0] for v in rec["kbs"].values()]
    states += [e["state"] for e in (rec.get("packages") or {}).values()]
    if rec["result"] == "failed" or "failed" in states:
        return "failed"
    if rec["result"] == "pending_reboot":
        return "pending_reboot"
    if "missing" in states:
        return "missing"
    return "compliant"


def _day_in_japan(moment: str) -> date:
    parsed = datetime.fromisoformat(moment)
    return (parsed.astimezone(JST) if parsed.tzinfo else parsed).date()


def _percent(part: int, whole: int):
    return round(100.0 * part / whole, 1) if whole else None


def host_rows(records: list[dict], as_of: date) -> list[dict]:
    """One row per host, worst status first, then segment, then host."""
    rows = []
    for rec in records:
        status = host_status(rec)
        kbs = {}
        for kb, value in rec["kbs"].items():
            state, code = kb_state(value)
            kbs[kb] = {"state": state, "hresult": code}
        missing = sorted(kb for kb, v in kbs.items() if v["state"] == "missing")
        failed = sorted(kb for kb, v in kbs.items() if v["state"] == "failed")
        release = rec.get("oldest_missing_release") if status != "not_reached" else None
        age = (as_of - date.fromisoformat(str(release))).days if release and (missing or failed) else None
        rows.append(
            {
                "host": rec["host"],
                "segment": rec["segment"],
                "ring": rec["ring"],
                "result": rec["result"],
                "status": status,
                "status_ja": STATUS_JA[status],
                "missing": missing,
                "failed": [
                    {"kb": kb, "hresult": kbs[kb]["hresult"], "hint_ja": hresult_ja(kbs[kb]["hresult"])}
                    for kb in failed
                ],
                "installed": sorted(kb for kb, v in kbs.items() if v["state"] == "installed"),
                "oldest_missing_release": release if age is not None else None,
                "oldest_missing_days": age,
                "checked_at": rec["checked_at"],
                "kbs": kbs,
                "packages": rec.get("packages") or {},
                # why the run did not reach the host, or what failed where no update names it
                "note_ja": str(rec.get("reason_ja") or rec.get("error") or ""),
                "not_run": bool(rec.get("not_run")),
            }
        )
    rows.sort(key=lambda r: (STATUSES.index(r["status"]), SEGMENTS.index(r["segment"]), r["host"]))
    return rows


def _counts(rows: list[dict]) -> dict:
    reached = [r for r in rows if r["status"] != "not_reached"]
    compliant = sum(r["status"] == "compliant" for r in rows)
    aged = [r for r in reached if r["oldest_missing_days"] is not None]
    oldest = max(aged, key=lambda r: (r["oldest_missing_days"], r["host"]), default=None)
    return {
        "hosts": len(rows),
        "reached": len(reached),
        "not_reached": len(rows) - len(reached),
        "compliant": compliant,
        "missing": sum(r["status"] == "missing" for r in rows),
        "failed": sum(r["status"] == "failed" for r in rows),
        "pending_reboot": sum(r["status"] == "pending_reboot" for r in rows),
        "installed": sum(r["result"] == "installed" for r in rows),
        "up_to_date": sum(r["result"] == "up_to_date" for r in rows),
        "compliance_percent": _percent(compliant, len(reached)),
        "oldest_missing_days": oldest["oldest_missing_days"] if oldest else None,
        "oldest_missing_host": oldest["host"] if oldest else None,
        "oldest_missing_release": oldest["oldest_missing_release"] if oldest else None,
    }


def kb_rows(rows: list[dict]) -> list[dict]:
    """Per KB: how many hosts have it, miss it, failed it; the hosts reached that do not have it."""
    kbs = sorted({kb for r in rows for kb in r["kbs"]})
    out = []
    for kb in kbs:
        counts = {"installed": 0, "missing": 0, "failed": 0}
        short = []
        for r in rows:
            entry = r["kbs"].get(kb)
            if entry:
                counts[entry["state"]] += 1
                if entry["state"] != "installed":
                    short.append(r["host"])
        out.append({"kb": kb, **counts, "hosts_short": short})
    return sorted(out, key=lambda k: (-(k["missing"] + k["failed"]), k["kb"]))


def summarise(records, as_of=None, inventory=None, kb_titles=None, late_days=30) -> dict:
    """The report's record: as_of, inventory, clauses, verdict, late_days, total, segments, hosts, kbs.

    kb_titles ({KB: title}, from the WSUS catalogue) names the KBs for readers who do not know them by
    number; late_days is the age from which a missing update is shown as overdue."""
    records = check_records(records)
    day = (
        as_of
        if isinstance(as_of, date)
        else (
            date.fromisoformat(str(as_of)) if as_of else max(_day_in_japan(r["checked_at"]) for r in records)
        )
    )
    rows = host_rows(records, day)
    segments = []
    for seg in SEGMENTS:
        members = [r for r in rows if r["segment"] == seg]
        if members:
            segments.append({"segment": seg, "segment_ja": SEGMENT_JA[seg], **_counts(members)})
    total = _counts(rows)
    verdict = (
        "critical"
        if total["failed"] or total["not_reached"]
        else ("warning" if total["missing"] or total["pending_reboot"] else "ok")
    )
    return {
        "as_of": day.isoformat(),
        "inventory": inventory,
        "clauses": ["MNT-PATCH", "PM-REPORT"],
        "verdict": verdict,
        "total": total,
        "segments": segments,
        "hosts": rows,
        "late_days": late_days,
        "kbs": [dict(k, title=(kb_titles or {}).get(k["kb"])) for k in kb_rows(rows)],
    }
