# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Items from the service probes: RADIUS (radius_probe: an Access-Request per server) and the
directory (directory_probe: an LDAPS bind and an SMB share listing per host)."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.module_utils.daily.common import (
    OK,
    UNKNOWN,
    DailyInputError,
    item,
    label_of,
    loop_name,
    nagios_state,
    results_of,
)

RADIUS_CHECK = "RADIUS 認証応答（Access-Request）"
LDAPS_CHECK = "LDAPS 接続（バインド）"
SMB_CHECK = "SMB 共有一覧"


def _entries(result, key, what):
    """The per-server list: result[key], a loop's results (each with key or itself), or a list."""
    if isinstance(result, Mapping) and isinstance(result.get(key), list):
        return list(result[key])
    out = []
    for entry in results_of(result, what):
        if isinstance(entry, Mapping) and isinstance(entry.get(key), list):
            out += entry[key]
        else:
            out.append(entry)
    return out


REPLY_JA = {"Access-Reject": "認証が拒否されました", "Access-Challenge": "追加の認証を求められました"}


def _radius_failure(server):
    """radius_probe says why in detail (reply: what came back); reason is the earlier name."""
    reply = server.get("reply")
    why = server.get("detail") or server.get("reason") or ""
    head = REPLY_JA.get(reply, f"想定外の応答 {reply}") if reply else "応答なし"
    if not why or why.startswith(head):
        return why or head
    return f"{head}（{why}）"


def radius_items(radius_probe_result, hostvars=None):
    out = []
    for index, server in enumerate(_entries(radius_probe_result, "servers", "radius_probe_result")):
        if not isinstance(server, Mapping) or not server.get("name"):
            raise DailyInputError(f"radius_probe server #{index + 1}: no name")
        name = str(server["name"])
        state = nagios_state(server.get("state"), name)
        ms = server.get("response_ms")
        timing = f"（{float(ms):.0f} ms）" if isinstance(ms, (int, float)) else ""
        detail = f"認証に応答あり{timing}" if state == OK else _radius_failure(server) + timing
        action = ("RADIUS サーバの稼働と共有シークレット・点検用アカウントを確認する"
                  "（無線 LAN・VPN 認証に影響）")
        out.append(item("service", name, label_of(hostvars, name), RADIUS_CHECK, state, detail, action,
                        value=ms))
    return out


def _part(host, probe, *keys):
    part = next((probe[k] for k in keys if probe.get(k) is not None), None)
    if part is None:
        return None
    if not isinstance(part, Mapping):
        raise DailyInputError(f"{host}: {keys[0]} is not a mapping")
    return nagios_state(part.get("state"), f"{host} {keys[0]}"), part


def _timing(part):
    ms = part.get("response_ms")
    return f"（{float(ms):.0f} ms）" if isinstance(ms, (int, float)) else ""


def _smb_detail(state, part):
    if state != OK:
        return f"共有一覧を取得できません: {part.get('detail') or '理由不明'}"
    shares = [str(s) for s in part.get("shares") or part.get("names") or []]
    count = part.get("entries") if isinstance(part.get("entries"), int) else len(shares)
    shown = "、".join(shares[:8]) + (f" ほか {count - 8} 件" if count > 8 else "")
    return f"一覧の取得に成功: {count} 件" + (f"（{shown}）" if shown else "") + _timing(part)


def directory_items(result, hostvars=None):
    """directory_probe results: a list of {host, ldaps|ldap, smb}, or a loop's results (host = item)."""
    out = []
    for index, probe in enumerate(_entries(result, "hosts", "directory_probe result")):
        host = (probe.get("host") or loop_name(probe)) if isinstance(probe, Mapping) else None
        if not host:
            raise DailyInputError(f"directory_probe entry #{index + 1}: no host")
        host = str(host)
        label = label_of(hostvars, host)
        if probe.get("failed") and not (probe.get("ldap") or probe.get("ldaps") or probe.get("smb")):
            out.append(item("service", host, label, "ディレクトリ・ファイル共有の応答", UNKNOWN,
                            f"点検を実行できません（{probe.get('msg') or '不明'}）",
                            "点検用アカウントと点検の設定を確認する"))
            continue
        ldaps = _part(host, probe, "ldaps", "ldap")
        if ldaps:
            state, part = ldaps
            detail = ("バインド・ドメインの読み取りに成功" + _timing(part) if state == OK
                      else f"バインドできません: {part.get('detail') or '理由不明'}")
            out.append(item("service", host, label, LDAPS_CHECK, state, detail,
                            "ドメインコントローラの稼働、LDAPS 証明書、点検用アカウントを確認する"
                            "（ログオン・認証に影響）", value=part.get("response_ms")))
        smb = _part(host, probe, "smb")
        if smb:
            state, part = smb
            out.append(item("service", host, label, SMB_CHECK, state, _smb_detail(state, part),
                            "ファイルサーバの稼働と共有の設定を確認する（職員のファイル共有に影響）",
                            value=part.get("response_ms")))
    return out
