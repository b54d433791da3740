# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decision as the city reads it: a Japanese table of the changes on the WSUS server and of the
updates still waiting, for the work plan's diff and the run's report."""

from __future__ import annotations

from .decide import DECISION_JA
from .policy import RING_JA

MAX_ROWS = 400  # the plan keeps every change in the module's JSON; the table stays readable


def _cell(text) -> str:
    return str(text).replace("|", "／").replace("\n", " ")


def table(result: dict, server: str = "WSUS") -> str:
    summary = result["summary"]
    counts = summary["changes"]
    lines = [
        f"{server} の承認の変更（基準日 {summary['as_of']}、更新プログラム {summary['updates']} 件）: "
        f"承認 {counts['approve']} 件・拒否 {counts['decline']} 件・承認取消 {counts['unapprove']} 件",
        "",
        "| 操作 | KB | 更新プログラム | 対象グループ（リング） | 変更前 | 理由 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    changes = result["changes"]
    for c in changes[:MAX_ROWS]:
        group = f"{c['target_group']}（{c['ring_ja']}）" if c["target_group"] else c["ring_ja"]
        before = {"Install": "承認済み", "NotApproved": "未承認", "NotDeclined": "未拒否"}.get(
            c["before"], c["before"]
        )
        lines.append(
            f"| {c['action_ja']} | {c['kb']} | {_cell(c['title'])} | {_cell(group)} | {before} | "
            f"{_cell(c['reason_ja'])} |"
        )
    if len(changes) > MAX_ROWS:
        lines.append(f"| … | | ほか {len(changes) - MAX_ROWS} 件（JSON の changes に全件） | | | |")
    if not changes:
        lines.append("| — | | 変更なし | | | |")
    waiting = [(d, r) for d in result["decisions"] for r in d["rings"] if r["decision"] in ("wait", "hold")]
    if waiting:
        lines += [
            "",
            "承認を待つもの（猶予中・保留）",
            "",
            "| KB | 更新プログラム | リング | 判定 | 理由 |",
            "| --- | --- | --- | --- | --- |",
        ]
        for d, r in waiting[:MAX_ROWS]:
            lines.append(
                f"| {d['kb']} | {_cell(d['title'])} | {r['ring_ja']} | {r['decision_ja']} | "
                f"{_cell(r['reason_ja'])} |"
            )
        if len(waiting) > MAX_ROWS:
            lines.append(f"| … | ほか {len(waiting) - MAX_ROWS} 件 | | | |")
    per_ring = "、".join(
        f"{RING_JA.get(ring, ring)} "
        + ("・".join(f"{DECISION_JA[k]} {v}" for k, v in counts_.items() if v) or "なし")
        for ring, counts_ in summary["rings"].items()
    )
    lines += ["", f"リングごとの判定件数: {per_ring}"]
    return "\n".join(lines) + "\n"
