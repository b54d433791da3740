# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate's patch policy (group_vars/all/patch_policy.yml, jichitai_patch_policy), validated
whole: every bad key is named, and nothing is decided from a policy with a problem."""

from __future__ import annotations

from .catalogue import normalise_kb

RINGS = ("pilot", "servers", "clients")
RING_JA = {"pilot": "先行適用", "servers": "サーバ", "clients": "端末"}
KEYS = {
    "rings",
    "classifications",
    "products",
    "decline_superseded",
    "hold_on_pilot_failures",
    "deferral_basis",
    "allow_kbs",
    "deny_kbs",
    "office",
    "rollout",
    "clause",
    "notes",
}
RING_KEYS = {"target_groups", "deferral_days", "name_ja"}
OFFICE_KEYS = {"via_wsus", "products", "channel", "source_ja"}
BASES = ("release", "arrival")
# the rollout of approved updates (patch_servers.yml, patch_clients.yml): key -> (lowest, highest, default)
ROLLOUT = {
    "server_max_wave": (1, 100, 5),
    "client_pilot_percent": (0, 100, 5),
    "client_max_wave": (1, 2000, 100),
    "client_max_fail_percentage": (0, 100, 10),
}


def _strings(value, key, problems, *, required=True) -> list:
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{key}: 文字列の一覧にしてください（{value!r}）")
        return []
    if required and not value:
        problems.append(f"{key}: 1 つ以上必要です")
    dupes = sorted({v for v in value if value.count(v) > 1})
    if dupes:
        problems.append(f"{key}: 重複があります: {', '.join(dupes)}")
    return [v.strip() for v in value]


def _bool(policy, key, default, problems) -> bool:
    value = policy.get(key, default)
    if not isinstance(value, bool):
        problems.append(f"{key}: true か false にしてください（{value!r}）")
        return default
    return value


def _kbs(value, key, problems) -> list:
    out = []
    for item in _strings(value if value is not None else [], key, problems, required=False):
        kb = normalise_kb(item)
        if kb is None:
            problems.append(f"{key}: {item!r} は KB 番号ではありません（例 KB5034441）")
        else:
            out.append(kb)
    return out


def _rings(value, problems) -> list:
    if not isinstance(value, dict):
        problems.append(f"rings: pilot・servers・clients をキーにした辞書にしてください（{value!r}）")
        return []
    for name in sorted(set(value) - set(RINGS)):
        problems.append(f"rings.{name}: 知らないリングです（pilot・servers・clients のみ）")
    rings, seen_groups = [], {}
    for name in RINGS:
        ring = value.get(name)
        key = f"rings.{name}"
        if not isinstance(ring, dict):
            problems.append(f"{key}: ありません（target_groups と deferral_days を持つ辞書が必要です）")
            continue
        for extra in sorted(set(ring) - RING_KEYS):
            problems.append(f"{key}.{extra}: 知らないキーです")
        groups = _strings(ring.get("target_groups"), f"{key}.target_groups", problems)
        for group in groups:
            if group in seen_groups:
                problems.append(f"{key}.target_groups: {group} は rings.{seen_groups[group]} にもあります")
            seen_groups.setdefault(group, name)
        days = ring.get("deferral_days")
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365:
            problems.append(f"{key}.deferral_days: 0〜365 の整数にしてください（{days!r}）")
            days = None
        rings.append(
            {
                "id": name,
                "name_ja": str(ring.get("name_ja") or RING_JA[name]),
                "target_groups": groups,
                "deferral_days": days,
            }
        )
    pilot = next((r for r in rings if r["id"] == "pilot"), None)
    if pilot and pilot["deferral_days"] is not None:
        for ring in rings[1:]:
            if ring["deferral_days"] is not None and ring["deferral_days"] < pilot["deferral_days"]:
                problems.append(
                    f"rings.{ring['id']}.deferral_days: 先行適用（pilot, "
                    f"{pilot['deferral_days']} 日）より短くできません（{ring['deferral_days']} 日）"
                )
    return rings


def _office(value, products, problems) -> dict:
    if not isinstance(value, dict):
        problems.append(f"office: via_wsus・products・channel を持つ辞書にしてください（{value!r}）")
        return {"via_wsus": False, "products": [], "channel": ""}
    for extra in sorted(set(value) - OFFICE_KEYS):
        problems.append(f"office.{extra}: 知らないキーです")
    via = value.get("via_wsus")
    if not isinstance(via, bool):
        problems.append(f"office.via_wsus: true か false にしてください（{via!r}）")
        via = False
    office_products = _strings(value.get("products"), "office.products", problems)
    channel = value.get("channel")
    if not isinstance(channel, str) or not channel.strip():
        problems.append("office.channel: Microsoft 365 Apps の更新チャネル名が必要です")
        channel = ""
    if not via:
        for product in sorted(set(products) & set(office_products)):
            problems.append(
                f"products: {product} は office.products にあり、office.via_wsus が false です"
                "（WSUS では承認しない製品です）"
            )
    return {
        "via_wsus": via,
        "products": office_products,
        "channel": channel,
        "source_ja": str(value.get("source_ja") or ""),
    }


def _rollout(value, problems) -> dict:
    value = {} if value is None else value
    if not isinstance(value, dict):
        problems.append("rollout: 辞書にしてください")
        value = {}
    for extra in sorted(set(value) - set(ROLLOUT)):
        problems.append(f"rollout.{extra}: 知らないキーです")
    out = {}
    for key, (low, high, default) in ROLLOUT.items():
        number = value.get(key, default)
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            problems.append(f"rollout.{key}: {low}〜{high} の整数にしてください（{number!r}）")
            number = default
        out[key] = number
    return out


def validate(policy) -> tuple[dict, list]:
    """(normalised policy, problems). Problems name each bad key; the policy is usable only without."""
    if not isinstance(policy, dict):
        return {}, [f"パッチ適用方針が辞書ではありません（{type(policy).__name__}）"]
    problems: list = []
    for extra in sorted(set(policy) - KEYS):
        problems.append(f"{extra}: 知らないキーです")
    products = _strings(policy.get("products"), "products", problems)
    basis = policy.get("deferral_basis", "release")
    if basis not in BASES:
        problems.append(f"deferral_basis: release か arrival にしてください（{basis!r}）")
    allow = _kbs(policy.get("allow_kbs"), "allow_kbs", problems)
    deny = _kbs(policy.get("deny_kbs"), "deny_kbs", problems)
    for kb in sorted(set(allow) & set(deny)):
        problems.append(f"allow_kbs / deny_kbs: {kb} が両方にあります")
    normal = {
        "rings": _rings(policy.get("rings"), problems),
        "classifications": _strings(policy.get("classifications"), "classifications", problems),
        "products": products,
        "decline_superseded": _bool(policy, "decline_superseded", True, problems),
        "hold_on_pilot_failures": _bool(policy, "hold_on_pilot_failures", True, problems),
        "deferral_basis": basis if basis in BASES else "release",
        "allow_kbs": allow,
        "deny_kbs": deny,
        "office": _office(policy.get("office"), products, problems),
        "rollout": _rollout(policy.get("rollout"), problems),
    }
    return normal, problems
