"""作業計画書 and 作業報告書 as Excel workbooks (openpyxl): city offices work in Excel."""

from __future__ import annotations

from . import chart
from .model import KINDS, fmt_jp, fmt_minutes
from .presentation import SEVERITY_JA, STATE_JA, listify, ordered_entries, unified
from .report import VERDICTS

MAX_CELL = 32000  # Excel holds at most 32,767 characters in a cell
HEAD_FILL = "DDE7F0"
FLAG_FILL = "FFF4E5"
RED_FILL = "FFD9D6"


def _clean(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…（省略）"


def _put(ws, row: int, col: int, value, *, bold=False, fill=None, wrap=True):
    from openpyxl.styles import Alignment, Font, PatternFill

    cell = ws.cell(row=row, column=col)
    cell.value = _clean(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    cell.alignment = Alignment(wrap_text=wrap, vertical="top")
    if bold:
        cell.font = Font(bold=True)
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    return cell


def _table(
    ws,
    start_row: int,
    headers: list[str],
    rows: list[list],
    widths: list[int] | None = None,
    fills: list[str | None] | None = None,
) -> int:
    for col, head in enumerate(headers, 1):
        _put(ws, start_row, col, head, bold=True, fill=HEAD_FILL)
    for r, values in enumerate(rows, start_row + 1):
        fill = fills[r - start_row - 1] if fills else None
        for col, value in enumerate(values, 1):
            _put(ws, r, col, value, fill=fill)
    for col, width in enumerate(widths or [], 1):
        ws.column_dimensions[ws.cell(row=1, column=col).column_letter].width = width
    ws.freeze_panes = ws.cell(row=start_row + 1, column=1)
    return start_row + len(rows) + 1


def _kv(ws, pairs: list[tuple[str, object]]) -> int:
    for r, (key, value) in enumerate(pairs, 1):
        _put(ws, r, 1, key, bold=True, fill=HEAD_FILL)
        _put(ws, r, 2, value)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 90
    return len(pairs) + 1


def _diff_text(diffs: list[dict]) -> str:
    return "\n\n".join(unified(d) for d in diffs) if diffs else ""


def _window(window) -> str:
    if not window or not window.get("start"):
        return "未定"
    return f"{fmt_jp(window['start'])} 〜 {fmt_jp(window['end'])}"


def plan_workbook(plan: dict, plan_digest: str):
    from openpyxl import Workbook

    p = plan
    wb = Workbook()
    ws = wb.active
    ws.title = "概要"
    pairs = [
        ("作業計画ID", p["id"]),
        ("作業名", p["title"]),
        ("契約条項", p["clause"]),
        ("作業区分", f"{p['kind_ja']}（作業実施日の{KINDS[p['kind']]['lead_days']}日前までに提出）"),
        ("停止を伴う作業", "はい" if p["disruptive"] else "いいえ"),
        ("作業日時", _window(p.get("window"))),
        ("所要時間見込み", fmt_minutes(p["estimate"]["minutes"])),
        ("対象ホスト数", len(p["hosts"])),
        ("変更件数", p["summary"]["changes"]),
        ("予測不能な手順", p["summary"]["unpredictable"]),
        ("作成日時", fmt_jp(p["created_at"])),
        ("作成者", f"{p['created_by']['user']}@{p['created_by']['host']}"),
        ("プレイブック", p["playbook"]),
        ("計画ダイジェスト (sha256)", plan_digest),
        ("作業概要", p.get("description", "")),
    ]
    pairs += [(f"注意事項（{SEVERITY_JA.get(f['severity'], f['severity'])}）", f["ja"]) for f in p["flags"]]
    row = _kv(ws, pairs) + 1
    _put(ws, row, 1, "承認者", bold=True, fill=HEAD_FILL)
    _put(ws, row + 1, 1, "承認日", bold=True, fill=HEAD_FILL)

    ws = wb.create_sheet("作業手順")
    window_set = bool(p.get("window") and p["window"].get("start"))
    _table(
        ws,
        1,
        ["No.", "開始予定", "タスク", "対象ホスト", "所要"],
        [
            [
                i,
                f"+{fmt_minutes(s['offset_minutes'])}" if window_set else "—",
                s["task"],
                ", ".join(s["hosts"]),
                fmt_minutes(s["minutes"]),
            ]
            for i, s in enumerate(p["estimate"]["schedule"], 1)
        ],
        [6, 12, 50, 40, 10],
    )
    for timeline in p.get("timelines") or []:  # 工程表: a Gantt chart of each published timeline
        chart.add_gantt_sheet(wb, timeline)

    ws = wb.create_sheet("変更内容")
    rows, fills = [], []
    for rec, e in ordered_entries(p["tasks"], "changed", "unpredictable"):
        rows.append(
            [
                len(rows) + 1,
                rec["host"],
                rec["task"],
                e["label"] or "",
                STATE_JA[e["state"]],
                e["note"],
                _diff_text(e["diffs"]),
            ]
        )
        fills.append(FLAG_FILL if e["state"] == "unpredictable" else None)
    _table(
        ws,
        1,
        ["No.", "ホスト", "タスク", "項目", "予測", "備考", "差分"],
        rows,
        [6, 16, 40, 20, 10, 30, 80],
        fills,
    )

    ws = wb.create_sheet("影響範囲")
    aff = p["affected"]
    end = _kv(
        ws,
        [
            ("セグメント", "、".join(s["name"] for s in aff["segments"]) or "—"),
            ("拠点", "、".join(s["name"] for s in aff["sites"]) or "—"),
            ("業務・サービス", "、".join(map(str, aff["services"])) or "—"),
            ("影響する所属", "、".join(d["name"] for d in aff["departments"]) or "—"),
        ],
    )
    _table(
        ws,
        end + 1,
        ["ホスト", "セグメント", "役割", "拠点", "変更", "備考"],
        [
            [
                h["name"],
                h.get("segment_name") or h.get("segment") or "—",
                h.get("role") or "—",
                h.get("site_name") or h.get("site") or "—",
                "あり" if h["name"] in p["summary"]["hosts_with_changes"] else "なし",
                h.get("note") or "",
            ]
            for h in p["hosts"]
        ],
    )

    ws = wb.create_sheet("カレンダー")
    cal = p["calendar"]
    days = [
        [
            d["date"],
            d["weekday_ja"],
            "開庁日" if d["open"] else "閉庁日",
            d.get("holiday") or d.get("closure") or "",
        ]
        for d in cal.get("days", [])
    ]
    end = _table(ws, 1, ["日付", "曜日", "区分", "祝日・休庁"], days, [14, 6, 10, 20])
    _table(
        ws,
        end + 1,
        ["判定", "日付", "内容", "条項"],
        [
            [
                SEVERITY_JA.get(f["severity"]),
                f["date"],
                f["ja"] + ("（時間帯は仮定）" if f.get("assumed") else ""),
                f.get("clause") or "",
            ]
            for f in cal.get("findings", [])
        ],
        fills=[RED_FILL if f["severity"] == "block" else FLAG_FILL for f in cal.get("findings", [])],
    )
    ws.column_dimensions["C"].width = 80

    ws = wb.create_sheet("切り戻し・緊急時対応")
    rows = [["切り戻し手順", i, s] for i, s in enumerate(listify(p["rollback"]), 1)]
    rows += [["コンティンジェンシープラン", i, s] for i, s in enumerate(listify(p["contingency"]), 1)]
    _table(ws, 1, ["区分", "No.", "内容"], rows, [26, 6, 90])

    ws = wb.create_sheet("計画の根拠")
    basis = p["basis"]
    rows = [["リポジトリのコミット", basis["repo"].get("commit") or "—", ""]]
    rows += [["未コミットの変更", f["path"], f["sha256"]] for f in basis["repo"].get("dirty_files", [])]
    for key, label in (("inventory", "インベントリ"), ("inputs", "入力ファイル")):
        for src in basis[key]:
            if src.get("missing"):
                rows.append([label, src["path"], "存在しません"])
            for f in src["files"]:
                rows.append(
                    [label, f"{src['path']}/{f['path']}" if f["path"] != "." else src["path"], f["sha256"]]
                )
    _table(ws, 1, ["対象", "パス", "sha256"], rows, [20, 60, 70])
    return wb


def report_workbook(report: dict):
    from openpyxl import Workbook

    r = report
    wb = Workbook()
    ws = wb.active
    ws.title = "概要"
    approval = r.get("approval") or {}
    pairs = [
        ("総合判定", r["verdict_ja"]),
        ("作業計画ID", r["plan_id"]),
        ("作業名", r["title"]),
        ("契約条項", r["clause"]),
        (
            "承認",
            f"{approval.get('approver')}（{fmt_jp(approval.get('approved_at'))}）" if approval else "なし",
        ),
        ("カレンダー例外承認", approval.get("override_reason") or "なし"),
        ("承認された作業日時", _window(r.get("window"))),
        ("実施日時", f"{fmt_jp(r['started'])} 〜 {fmt_jp(r['ended'])}"),
        (
            "所要時間（実績／見込み）",
            f"{fmt_minutes(r['duration_minutes'])}／{fmt_minutes(r.get('estimate_minutes'))}",
        ),
        ("プレイブック", r.get("playbook") or ""),
        ("計画ダイジェスト (sha256)", r.get("plan_digest") or "—"),
    ]
    if r["mode"] != "apply":
        pairs.insert(0, ("記録の種類", "計画なし実施（すべて計画外）"))
    pairs.append(("実際の変更", f"{r['changes']} 件"))
    phases = r["phases"]
    if phases["run"] or phases["left_out"]:
        pairs.append(("実施したフェーズ", "、".join(p["ja"] for p in phases["run"]) or "なし"))
    if phases["left_out"]:
        pairs.append(("対象外のフェーズ", "、".join(p["ja"] for p in phases["left_out"])))
    pairs += [(VERDICTS[code][0], n) for code, n in r["counts"].items() if n]
    for s in r["other_phase"]:  # compactly: one line per phase and task
        hosts = "、".join(s["hosts"])
        label = f"{VERDICTS['other_phase'][0]}: {s['phase_ja']}"
        pairs.append((label, f"{s['task']}（{hosts}、{s['steps']} 件）"))
    _kv(ws, pairs)
    verdict_row = 2 if r["mode"] != "apply" else 1
    _put(ws, verdict_row, 2, r["verdict_ja"], bold=True, fill="D9F2D9" if r["verdict"] == "ok" else RED_FILL)

    ws = wb.create_sheet("計画外の変更")
    _table(
        ws,
        1,
        ["No.", "ホスト", "タスク", "項目", "差分"],
        [
            [i, row["host"], row["task"], row["item"] or "", _diff_text(row["actual_diffs"])]
            for i, row in enumerate(r["unplanned"], 1)
        ],
        [6, 16, 40, 20, 90],
        [RED_FILL] * len(r["unplanned"]),
    )

    ws = wb.create_sheet("計画と実績")
    _table(
        ws,
        1,
        ["No.", "ホスト", "タスク", "項目", "計画", "実績", "判定", "備考", "差分（実績）"],
        [
            [
                i,
                row["host"],
                row["task"],
                row["item"] or "",
                STATE_JA.get(row["planned"]),
                STATE_JA.get(row["actual"]),
                row["verdict_ja"],
                row["note"],
                _diff_text(row["actual_diffs"]),
            ]
            for i, row in enumerate(r["rows"], 1)
        ],
        [6, 16, 40, 20, 10, 10, 22, 30, 70],
        [
            RED_FILL if row["verdict"] == "unplanned" else FLAG_FILL if row["flag"] else None
            for row in r["rows"]
        ],
    )
    return wb
