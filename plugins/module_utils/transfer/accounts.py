# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accounts of an inter-segment transfer system as data: users, groups, routes; their checks
against the α model, and the change set that makes a system hold them.

A route is (group, from segment, to segment, approval). Under the α model only two paths exist:
Internet⇔LGWAN (sanitising transfer) and LGWAN⇔My Number. A system carries one of them; every
route it holds and every account's side must lie on its own two segments.
"""

from __future__ import annotations

import re

SANCTIONED = (frozenset(("internet", "lgwan")), frozenset(("lgwan", "mynumber")))
SEGMENT_JA = {"internet": "インターネット接続系", "lgwan": "LGWAN接続系", "mynumber": "個人番号利用事務系"}
APPROVALS = ("required", "none")
USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
USER_FIELDS = ("name", "department", "department_name", "group", "approver", "side")
KINDS = ("groups", "users", "routes")


def route_key(route):
    return f"{route['group']}:{route['from']}>{route['to']}"


def key_of(kind, item):
    if kind == "users":
        return str(item["id"])
    if kind == "groups":
        return str(item["name"])
    return route_key(item)


def normalise(kind, item):
    """The fields a system keeps for an item, as text (the comparison ignores anything else)."""
    if kind == "users":
        out = {"id": str(item.get("id") or "").strip()}
        out.update({f: str(item.get(f) or "").strip() for f in USER_FIELDS})
        return out
    if kind == "groups":
        return {
            "name": str(item.get("name") or "").strip(),
            "description": str(item.get("description") or ""),
        }
    return {
        "group": str(item.get("group") or "").strip(),
        "from": str(item.get("from") or "").strip(),
        "to": str(item.get("to") or "").strip(),
        "approval": str(item.get("approval") or "required").strip(),
    }


def _where(kind, index, item):
    source = item.get("source") if isinstance(item, dict) else None
    return f"{kind}[{index}]" + (f" ({source})" if source else "")


def check(wanted, segments):
    """Every problem of the wanted account set found without asking the system, each naming its row.

    ``segments``: the two segments the system joins.
    """
    problems = []
    pair = frozenset(segments or ())
    if len(pair) != 2 or pair not in SANCTIONED:
        shown = "⇔".join(SEGMENT_JA.get(s, str(s)) for s in segments or ())
        return [
            f"システムの経路 {shown or '（未指定）'} は α モデルで認められていません"
            "（インターネット接続系⇔LGWAN接続系の無害化転送、LGWAN接続系⇔個人番号利用事務系の転送のみ）"
        ]
    seen = {k: {} for k in KINDS}
    for kind in KINDS:
        for index, raw in enumerate(wanted.get(kind) or []):
            where = _where(kind, index, raw)
            if not isinstance(raw, dict):
                problems.append(f"{where}: 項目がマッピングではありません")
                continue
            item = normalise(kind, raw)
            key = key_of(kind, item)
            if key in seen[kind]:
                problems.append(f"{where}: {key} が {seen[kind][key]} と重複しています")
            seen[kind][key] = where
            problems += _item_problems(kind, item, where, pair)
    return problems


def dangling(wanted, after):
    """Users and routes that name a group, and users whose approver, the system will not hold once
    the change is made (``after``: the account set after it)."""
    groups = {g["name"] for g in after.get("groups") or []}
    users = {u["id"] for u in after.get("users") or []}
    problems = []
    for kind in ("users", "routes"):
        for index, raw in enumerate(wanted.get(kind) or []):
            item = normalise(kind, raw)
            if item["group"] and item["group"] not in groups:
                problems.append(
                    f"{_where(kind, index, raw)}: グループ {item['group']} が転送システムにありません"
                    "（groups にも指定がありません）"
                )
            if kind == "users" and item["approver"] and item["approver"] not in users:
                problems.append(
                    f"{_where(kind, index, raw)}: 承認者 {item['approver']} が転送システムの利用者にいません"
                )
    return problems


def _item_problems(kind, item, where, pair):
    problems = []
    if kind == "users":
        if not USER_ID.match(item["id"]):
            problems.append(
                f"{where}: ユーザーID {item['id'][:70]!r} が不正です（英数字と . _ @ - 、64 文字まで）"
            )
        if not item["name"]:
            problems.append(f"{where}: 氏名がありません")
        if not item["group"]:
            problems.append(f"{where}: グループがありません")
        if item["side"] not in pair:
            problems.append(
                f"{where}: 利用者 {item['id']} の側 "
                f"{SEGMENT_JA.get(item['side'], item['side'] or '（未指定）')} は"
                f"このシステムの経路（{'⇔'.join(SEGMENT_JA[s] for s in sorted(pair))}）にありません"
            )
    elif kind == "groups":
        if not item["name"] or len(item["name"]) > 64:
            problems.append(f"{where}: グループ名がない、または 64 文字を超えています")
    else:
        ends = frozenset((item["from"], item["to"]))
        if item["from"] == item["to"] or ends not in SANCTIONED:
            problems.append(
                f"{where}: 経路 {SEGMENT_JA.get(item['from'], item['from'])}→"
                f"{SEGMENT_JA.get(item['to'], item['to'])} は α モデルで認められていません"
                "（インターネット⇔LGWAN の無害化転送、LGWAN⇔個人番号利用事務系 のみ）"
            )
        elif ends != pair:
            problems.append(
                f"{where}: 経路 {SEGMENT_JA[item['from']]}→{SEGMENT_JA[item['to']]} はこのシステム"
                f"（{'⇔'.join(SEGMENT_JA[s] for s in sorted(pair))}）の経路ではありません"
            )
        if item["approval"] not in APPROVALS:
            problems.append(f"{where}: approval は required か none です（{item['approval']!r}）")
        if not item["group"]:
            problems.append(f"{where}: グループがありません")
    return problems


def changes(current, wanted, state, keep_users=(), keep_groups=()):
    """[(op, kind, key, before, after)] that make ``current`` hold ``wanted``.

    state ``present`` adds and corrects; ``exact`` also removes what is not wanted; ``absent`` removes
    the wanted keys; ``keep_users``, ``keep_groups`` and the routes of those groups are never removed
    by ``exact`` (service accounts such as the path probe's). Order: groups,
    users, routes are created first, then routes, users, groups are removed, so nothing ever names a
    group that is not there.
    """
    have = {k: {key_of(k, normalise(k, i)): normalise(k, i) for i in current.get(k) or []} for k in KINDS}
    want = {k: {key_of(k, normalise(k, i)): normalise(k, i) for i in wanted.get(k) or []} for k in KINDS}
    ups, downs = [], []
    for kind in KINDS:
        if state == "absent":
            downs += [
                ("delete", kind, key, have[kind][key], None)
                for key in sorted(want[kind])
                if key in have[kind]
            ]
            continue
        for key in sorted(want[kind]):
            before = have[kind].get(key)
            if before != want[kind][key]:
                ups.append(("create" if before is None else "update", kind, key, before, want[kind][key]))
        if state == "exact":
            kept = {
                "users": set(keep_users),
                "groups": set(keep_groups),
                "routes": {k for k, r in have["routes"].items() if r["group"] in set(keep_groups)},
            }[kind]
            downs += [
                ("delete", kind, key, have[kind][key], None)
                for key in sorted(set(have[kind]) - set(want[kind]) - kept)
            ]
    downs.sort(key=lambda c: -KINDS.index(c[1]))
    return ups + downs


def apply_to(current, change_list):
    """The account set after ``change_list`` (what check mode predicts and the read-back must equal)."""
    out = {k: {key_of(k, normalise(k, i)): normalise(k, i) for i in current.get(k) or []} for k in KINDS}
    for op, kind, key, _before, after in change_list:
        if op == "delete":
            out[kind].pop(key, None)
        else:
            out[kind][key] = after
    return {k: [out[k][key] for key in sorted(out[k])] for k in KINDS}
