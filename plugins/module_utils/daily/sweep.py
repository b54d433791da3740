# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Items from the liveness sweep (library/liveness_sweep.py): servers and appliances, branch-site
networks (their gateways), PCs (one line for all) and the TLS certificates the sweep saw."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.module_utils.daily.common import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    DailyInputError,
    item,
    label_of,
    nagios_state,
    worst,
)

SERVICE_JA = {22: "SSH", 445: "SMB", 636: "LDAPS", 3493: "NUT", 5985: "WinRM", 5986: "WinRM（TLS）",
              443: "HTTPS", 8000: "Kea API", 8001: "Kea API", 8002: "Kea API"}
SITE_ROLES = ("gateway", "switch")
HEAD_OFFICE_KINDS = ("city_hall",)


def _probe_ja(check):
    kind, port = check.get("type"), check.get("port")
    if kind == "icmp":
        return "ping"
    name = SERVICE_JA.get(port, f"{kind.upper() if kind else '?'} {port}")
    return f"{name} の TLS 接続" if kind == "tls" and "TLS" not in name else name


def _untrusted(check):
    return check.get("type") == "tls" and "not trusted" in str(check.get("detail") or "")


def _liveness(name, check):
    """Whether the endpoint answered: a certificate that expires or is not trusted still answered."""
    state = nagios_state(check.get("state"), f"{name}: check {check.get('type')}")
    if check.get("latency_ms") is not None or _untrusted(check):
        return OK
    return UNKNOWN if state == UNKNOWN else (OK if state == OK else CRITICAL)


def _site_of(hv):
    site_id = hv.get("jichitai_site")
    for site in hv.get("jichitai_sites") or []:
        if isinstance(site, Mapping) and site.get("id") == site_id:
            return site
    return None


def _is_pc(hv):
    return hv.get("jichitai_role") == "pc" or "role_pc" in (hv.get("group_names") or [])


def _answer_text(name, checks):
    parts = []
    for check in checks:
        live = _liveness(name, check)
        probe = _probe_ja(check)
        if live == OK:
            ms = check.get("latency_ms")
            parts.append(f"{probe} 応答あり" + (f"（{ms:.1f} ms）" if isinstance(ms, (int, float)) else ""))
        elif live == UNKNOWN:
            parts.append(f"{probe} は確認できません")
        else:
            parts.append(f"{probe} 応答なし")
    return "、".join(parts)


def _target_fields(target, index):
    if not isinstance(target, Mapping) or not target.get("name"):
        raise DailyInputError(f"sweep target #{index + 1}: no name")
    name = str(target["name"])
    checks = target.get("checks")
    if not isinstance(checks, list) or not checks:
        raise DailyInputError(f"{name}: the sweep result has no checks")
    for check in checks:
        if not isinstance(check, Mapping):
            raise DailyInputError(f"{name}: a check is not a mapping")
    return name, checks


def _server_item(name, hv, checks, hostvars):
    state = worst(_liveness(name, c) for c in checks)
    actions = {
        CRITICAL: "電源とネットワーク接続を確認し、復旧しない場合は保守業者へ連絡する",
        UNKNOWN: "点検用の端末から確認できない項目があるため、点検環境（ICMP の許可など）を確認する",
    }
    kinds = "・".join(dict.fromkeys(_probe_ja(c) for c in checks))
    return item("server", name, label_of(hostvars, name), f"死活（{kinds}）", state,
                _answer_text(name, checks), actions.get(state, ""))


def _cert_items(name, checks, hostvars, warn_days, crit_days):
    out = []
    for check in checks:
        if check.get("type") != "tls":
            continue
        where = f"{_probe_ja(check)}（ポート {check.get('port')}）"
        days = check.get("cert_days_left")
        if _untrusted(check):
            out.append(item("certificate", name, label_of(hostvars, name), f"証明書 {where}", CRITICAL,
                            "証明書を検証できません（信頼された発行元のものではありません）",
                            "証明書の発行元と有効期限を確認し、正しい証明書に入れ替える"))
            continue
        if days is None:
            continue
        try:
            days = float(days)
        except (TypeError, ValueError):
            raise DailyInputError(f"{name}: cert_days_left {days!r} is not a number") from None
        until = str(check.get("cert_not_after") or "")[:10]
        if days < 0:
            state, detail = CRITICAL, f"有効期限切れ（{until}）"
        else:
            state = CRITICAL if days < crit_days else WARNING if days < warn_days else OK
            detail = f"残り {int(days)} 日（{until} まで）"
        action = f"{'直ちに' if state == CRITICAL else '期限までに'}証明書を更新する"
        out.append(item("certificate", name, label_of(hostvars, name), f"証明書 {where}", state, detail,
                        action, value=round(days, 1), threshold=warn_days))
    return out


def sweep_items(sweep_result, hostvars, cert_warning_days=30, cert_critical_days=7):
    if not isinstance(sweep_result, Mapping) or not isinstance(sweep_result.get("targets"), list):
        raise DailyInputError("sweep_result: not a liveness_sweep result (no targets list)")
    hostvars = hostvars if isinstance(hostvars, Mapping) else {}
    servers, certs, sites, pcs = [], [], {}, []
    for index, target in enumerate(sweep_result["targets"]):
        name, checks = _target_fields(target, index)
        hv = hostvars.get(name) or {}
        if _is_pc(hv):
            pcs.append((name, worst(_liveness(name, c) for c in checks)))
            continue
        certs += _cert_items(name, checks, hostvars, cert_warning_days, cert_critical_days)
        site = _site_of(hv)
        if hv.get("jichitai_role") in SITE_ROLES and site and site.get("kind") not in HEAD_OFFICE_KINDS:
            sites.setdefault(site["id"], (site, []))[1].append((name, checks))
            continue
        servers.append(_server_item(name, hv, checks, hostvars))
    out = servers + [_site_item(site, members) for site, members in sites.values()]
    if pcs:
        out.append(_pc_item(pcs))
    return out + certs


def _site_item(site, members):
    state = worst(_liveness(name, c) for name, checks in members for c in checks)
    detail = "、".join(f"{name}: {_answer_text(name, checks)}" for name, checks in members)
    action = {
        CRITICAL: "拠点の回線と機器の電源を拠点に確認し、回線事業者へ障害を問い合わせる",
        UNKNOWN: "点検環境から拠点へ ping を送れるか確認する",
    }.get(state, "")
    return item("site", site["id"], site.get("name") or site["id"], "拠点ネットワーク疎通（ゲートウェイ）",
                state, detail, action)


def _pc_item(pcs):
    answering = sum(1 for entry in pcs if entry[1] == OK)
    detail = f"応答 {answering} 台 / 全 {len(pcs)} 台（業務開始前に電源の入っていない PC は正常です）"
    return item("pc", "role_pc", "端末（PC）", "電源の入っている PC", OK, detail, value=answering,
                threshold=len(pcs))
