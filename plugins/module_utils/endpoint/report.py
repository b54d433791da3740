# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Short Japanese reports for the city (Markdown and HTML) of a distribution-package build and of a
USB device register: tables with a heading, no time of their own, so an unchanged input writes the
same report."""

from __future__ import annotations

import html as _html

PACKAGE_MD = "endpoint_package.md"
PACKAGE_HTML = "endpoint_package.html"
USB_MD = "usb_register.md"
USB_HTML = "usb_register.html"


def _md_table(header, rows) -> str:
    def cell(value):
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(header, rows) -> str:
    head = "".join(f"<th>{_html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(title, intro, sections) -> tuple[str, str]:
    """(markdown, html) of a report: SECTIONS is a list of (heading, lines, header, rows)."""
    md = [f"# {title}", "", *intro, ""]
    parts = [f"<h1>{_html.escape(title)}</h1>", *(f"<p>{_html.escape(x)}</p>" for x in intro)]
    for heading, lines, header, rows in sections:
        md += [f"## {heading}", ""]
        parts.append(f"<h2>{_html.escape(heading)}</h2>")
        for line in lines:
            md += [line, ""]
            parts.append(f"<p>{_html.escape(line)}</p>")
        if header:
            md += [_md_table(header, rows) if rows else "（なし）", ""]
            parts.append(_html_table(header, rows) if rows else "<p>（なし）</p>")
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
        "th,td{border:1px solid #888;padding:.3em .6em;text-align:left}th{background:#eee}"
    )
    page = (
        f'<!DOCTYPE html>\n<html lang="ja"><head><meta charset="utf-8"><title>{_html.escape(title)}</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n"
    )
    return "\n".join(md).rstrip() + "\n", page


def package_report(entries, results, packages, encoding) -> tuple[str, str]:
    by_id = {r["id"]: r for r in results}
    rows = []
    for entry, package in zip(entries, packages, strict=True):
        found = by_id[entry["id"]]
        code = found.get("product_code") or "（exe: 製品コードは照合対象外）"
        rows.append([entry["id"], entry["name"], entry["version"], entry["kind_ja"], entry["installer"],
                     entry["sha256"], code, package["folder"]])  # fmt: skip
    enc = "Shift_JIS（CP932）" if encoding == "cp932" else "UTF-8（BOM 付き）"
    return render(
        "配布パッケージ作成報告（ソフトウェア配布）",
        [
            "REQUIREMENTS OPS-ENDPT §6-3(3)④⑤ — カタログの各製品について、"
            "配布共有のインストーラを照合し配布パッケージを作成しました。"
        ],  # fmt: skip
        [
            (
                "作成した配布パッケージ",
                [
                    f"{len(rows)} 件。インストーラの SHA-256 と、MSI の製品コード（ProductCode）・"
                    "版数（ProductVersion）はカタログと一致しています。"
                ],  # fmt: skip
                ["ID", "製品", "版数", "種別", "インストーラ", "SHA-256", "製品コード", "パッケージ"],
                rows,
            ),
            (
                "SKYSEA への取込",
                [
                    f"各パッケージの skysea_distribution.csv（{enc}）を SKYSEA Client View の"
                    "ソフトウェア配布設定に取り込みます。列は製品の配布設定インポートの形に合わせた"
                    "本プロジェクトの様式です。取込前にお使いの版の手順書で列をご確認ください。"
                ],  # fmt: skip
                None,
                [],
            ),
        ],
    )


USB_TABLE = ["管理番号", "種別", "機器", "シリアル番号", "VID:PID", "所属", "利用者", "許可区分", "有効期限"]


def usb_report(rows, changes, as_of, register_name, encoding) -> tuple[str, str]:
    counts = {p: sum(1 for r in rows if r["permission"] == p) for p in ("読み書き", "読み取りのみ", "禁止")}
    summary = "、".join(f"{k} {v} 台" for k, v in counts.items())
    enc = "Shift_JIS（CP932）" if encoding == "cp932" else "UTF-8（BOM 付き）"
    table = [[r["id"], r["kind"], f"{r['maker']} {r['model']}", r["serial"], f"{r['vid']}:{r['pid']}",
              r["department_name"] or r["department"], r["user"], r["permission"], r["expires"] or "なし"]
             for r in rows]  # fmt: skip
    return render(
        "USB機器管理台帳 取込ファイル作成報告",
        [
            f"REQUIREMENTS OPS-ENDPT §6-3(3)② — {register_name}（{as_of} 現在）を検証し、"
            "SKYSEA のデバイス管理に取り込むファイルを作成しました。",
            f"登録 {len(rows)} 台（{summary}）。",
        ],  # fmt: skip
        [
            ("前回取込からの変更", changes or ["変更はありません。"], None, []),
            (
                "SKYSEA への取込",
                [
                    f"skysea_usb_devices.csv（{enc}）を SKYSEA Client View のデバイス管理"
                    "（登録デバイス）に取り込みます。"
                    "列は製品の登録デバイスインポートの形に合わせた本プロジェクトの様式です。"
                    "取込前にお使いの版の手順書で列をご確認ください。"
                ],  # fmt: skip
                None,
                [],
            ),
            ("登録機器", [], USB_TABLE, table),
        ],
    )
