# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Antivirus definitions from the management server's export: one item for the server's own
definitions, one for the endpoints whose definitions are older than allowed.

The export (JSON, or its endpoints as CSV with a header row)::

    {"server": {"name": "av01", "definition_version": "2026.12.06.001", "definition_date": "2026-12-06"},
     "endpoints": [{"endpoint": "pc-0001", "definition_version": "2026.12.05.003",
                    "definition_date": "2026-12-05", "last_seen": "2026-12-05T17:40:00+09:00"}]}
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Mapping

from ansible.module_utils.daily.common import (
    CRITICAL,
    OK,
    WARNING,
    DailyInputError,
    item,
    label_of,
    names_text,
    parse_moment,
)

SERVER_CHECK = "定義ファイルの更新（管理サーバ）"
ENDPOINT_CHECK = "定義ファイルの更新（端末・サーバ）"


def _endpoints(value):
    if isinstance(value, str):
        rows = list(csv.DictReader(io.StringIO(value.lstrip("\ufeff"))))
        missing = {"endpoint", "definition_date"} - set(rows[0] if rows else {"endpoint", "definition_date"})
        if missing:
            raise DailyInputError(f"antivirus export CSV: columns {', '.join(sorted(missing))} missing")
        return rows
    if not isinstance(value, list):
        raise DailyInputError("antivirus export: endpoints is neither a list nor CSV text")
    return value


def _age_days(now, row, where):
    return (now - parse_moment(row.get("definition_date"), where, "definition_date")).total_seconds() / 86400


def av_items(av_export, max_age_days=2, now=None, hostvars=None):
    if not isinstance(av_export, Mapping) or not isinstance(av_export.get("server"), Mapping):
        raise DailyInputError("antivirus export: no server entry (see the filter's documentation)")
    server = av_export["server"]
    name = str(server.get("name") or "antivirus")
    reference = parse_moment(now, "now") if now else datetime.datetime.now().astimezone()
    age = _age_days(reference, server, name)
    state = CRITICAL if age > max_age_days else OK
    version = server.get("definition_version") or "版数不明"
    detail = f"定義 {version}（{str(server.get('definition_date'))[:10]}、{age:.0f} 日前）"
    out = [item("antivirus", name, label_of(hostvars, name), SERVER_CHECK, state, detail,
                "管理サーバが配信元から定義ファイルを取得できているか確認し、手動で更新する",
                value=round(age, 1), threshold=max_age_days)]
    endpoints = _endpoints(av_export.get("endpoints") or [])
    stale = []
    for index, row in enumerate(endpoints):
        if not isinstance(row, Mapping) or not row.get("endpoint"):
            raise DailyInputError(f"antivirus export: endpoint #{index + 1} has no name")
        if _age_days(reference, row, str(row["endpoint"])) > max_age_days:
            stale.append(str(row["endpoint"]))
    if stale:
        detail = (f"{len(stale)} 台 / 全 {len(endpoints)} 台が {max_age_days} 日より古い定義: "
                  f"{names_text(stale)}")
    else:
        detail = f"全 {len(endpoints)} 台が最新の定義"
    out.append(item("antivirus", name, label_of(hostvars, name), ENDPOINT_CHECK, WARNING if stale else OK,
                    detail, "該当端末の電源を入れて定義を更新させるか、管理コンソールから配信する",
                    value=len(stale), threshold=max_age_days))
    return out
