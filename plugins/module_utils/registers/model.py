# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The registers as tables: each a dict with its title, clause, source, read time, columns, key and rows.

A register is rebuilt whole from what the estate says (inventory, ledgers, the directory, the appliances'
APIs); nothing here is typed by hand. The key column names a row across runs, so the next run can say what
changed (registers.changes). Columns listed in ``volatile`` are shown but never reported as a change
(measurements such as a UPS's battery charge move between two readings of an unchanged estate).
"""

from __future__ import annotations

import ipaddress

ROLE_JA = {
    "ad_dc": "Active Directory サーバ",
    "file_server": "ファイルサーバ",
    "backup": "バックアップサーバ",
    "wsus": "WSUS サーバ",
    "kms": "KMS ホスト",
    "av_mgmt": "運用管理・ウイルス対策管理サーバ",
    "mfp_server": "複合機サーバ",
    "skysea": "SKYSEA サーバ",
    "virtual_server": "仮想サーバ",
    "mail_relay": "メール中継サーバ",
    "app_server": "業務サーバ",
    "monitoring": "監視サーバ",
    "switch": "コアスイッチ",
    "gateway": "拠点ルータ",
    "dhcp": "DHCP サーバ",
    "radius": "認証サーバ（RADIUS）",
    "transfer": "ファイル転送システム",
    "hypervisor": "仮想化基盤ホスト",
    "storage": "ストレージ",
    "sanitizer": "メール無害化システム",
    "virtual_browser": "仮想ブラウザ",
    "telework": "テレワークシステム",
    "ups": "UPS",
    "pc": "端末",
    "printer": "複合機",
}
PC_KIND_JA = {
    "notebook": "ノートPC",
    "desktop": "デスクトップPC",
    "2in1": "2in1PC",
    "telework": "テレワークPC",
}
ASSIGNMENT_JA = {"static": "固定", "dynamic": "DHCP", "reserved": "DHCP予約"}
NETWORK_ROLES = ("switch", "gateway")
UNKNOWN = "未登録"

# the host variables a register reads (filter register_hosts picks them from hostvars)
HOST_FIELDS = {
    "address": ("ansible_host", "jichitai_address"),
    "description": ("jichitai_description",),
    "segment": ("jichitai_segment",),
    "role": ("jichitai_role",),
    "site": ("jichitai_site",),
    "pair": ("jichitai_pair",),
    "ups": ("jichitai_ups",),
    "depends_on": ("jichitai_depends_on",),
    "os_family": ("jichitai_os_family",),
    "os": ("jichitai_os",),
    "model": ("jichitai_model",),
    "installed_on": ("jichitai_install_date",),
    "ports": ("jichitai_ports",),
    "printers": ("jichitai_printers",),
    "business_systems": ("jichitai_business_systems",),
    "asset_no": ("jichitai_asset_no",),
    "pc_kind": ("jichitai_pc_kind",),
    "location": ("jichitai_location",),
    "department": ("jichitai_department",),
    "user": ("jichitai_user",),
    "mac": ("jichitai_mac",),
    "ip_assignment": ("jichitai_ip_assignment",),
    "ups_spare": ("jichitai_ups_spare",),
    "transfer_route": ("jichitai_transfer_route",),
}


class RegisterInputError(ValueError):
    """Bad input, every problem named."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def host_record(name, variables):
    """One host as the registers read it, from its (templated) variables."""
    record = {"name": name}
    for field, keys in HOST_FIELDS.items():
        value = None
        for key in keys:
            if variables.get(key) not in (None, ""):
                value = variables[key]
                break
        record[field] = value
    return record


def check_hosts(hosts, segments):
    problems = []
    seen = set()
    for index, host in enumerate(hosts):
        name = host.get("name") if isinstance(host, dict) else None
        if not name:
            problems.append(f"hosts[{index}]: no name")
            continue
        if name in seen:
            problems.append(f"{name}: listed twice")
        seen.add(name)
        if host.get("segment") not in segments:
            problems.append(
                f"{name}: segment {host.get('segment')!r} is none of {', '.join(sorted(segments))}"
            )
        if not host.get("role"):
            problems.append(f"{name}: no jichitai_role")
    if problems:
        raise RegisterInputError(problems)


def _join(values, sep="、"):
    return sep.join(str(v) for v in values if v not in (None, ""))


def segment_name(segments, seg):
    return (segments.get(seg) or {}).get("name", seg or "")


def site_names(sites):
    return {s.get("id"): s.get("name", s.get("id")) for s in sites or []}


def is_pc(host):
    return host.get("role") == "pc"


def role_ja(host):
    if is_pc(host):
        return PC_KIND_JA.get(host.get("pc_kind") or "", "端末")
    return ROLE_JA.get(host.get("role") or "", host.get("role") or "")


def register(rid, title, clause, source, read_at, columns, key, rows, volatile=(), one_sheet=True):
    return {
        "id": rid,
        "title": title,
        "clause": clause,
        "source": source,
        "read_at": read_at,
        "columns": [list(c) for c in columns],
        "key": key,
        "rows": rows,
        "volatile": list(volatile),
        "one_sheet": one_sheet,
    }


# ---------------------------------------------------------------------------------------------------
# サーバ設定情報一覧表 (OPS-DOCS §6-3(4)③, table 1)
def _kea_facts(name, kea):
    """(settings, measured) of a DHCP peer from dhcp_info's answer."""
    if not kea:
        return "", ""
    peer = next((p for p in kea.get("peers") or [] if p.get("name") == name), None)
    if peer is None:
        return "", ""
    if not peer.get("reachable"):
        return "", f"応答なし（{peer.get('error') or '不明'}）"
    scopes = [
        f"{s.get('subnet')} プール{s.get('pool_size')}件・予約{s.get('reservations')}件"
        for s in kea.get("subnets") or []
    ]
    settings = _join(
        [f"冗長構成 {peer.get('ha_mode') or 'なし'}（{peer.get('ha_role') or '—'}）"] + scopes, "／"
    )
    measured = f"状態 {peer.get('ha_state')}・相手 {peer.get('partner_state')}"
    return settings, measured


def _ups_facts(name, ups):
    answer = (ups or {}).get(name)
    if not answer:
        return "", ""
    if answer.get("error"):
        return "", f"応答なし（{answer['error']}）"
    u = answer.get("ups") or {}
    settings = _join(
        [
            _join([u.get("manufacturer"), u.get("model")], " "),
            f"停止遅延 {u.get('shutdown_delay')}秒" if u.get("shutdown_delay") is not None else "",
            f"起動遅延 {u.get('startup_delay')}秒" if u.get("startup_delay") is not None else "",
        ],
        "／",
    )
    measured = _join(
        [
            f"状態 {u.get('status')}",
            f"充電 {u.get('battery_charge'):g}%" if u.get("battery_charge") is not None else "",
            f"残り {u.get('runtime')}秒" if u.get("runtime") is not None else "",
            f"負荷 {u.get('load'):g}%" if u.get("load") is not None else "",
        ],
        "・",
    )
    return settings, measured


def server_list(hosts, segments, sites, read_at, source, kea=None, ups=None):
    names = site_names(sites)
    rows = []
    for h in hosts:
        if is_pc(h):
            continue
        settings, measured = ("", "")
        if h.get("role") == "dhcp":
            settings, measured = _kea_facts(h["name"], kea)
        elif h.get("role") == "ups":
            settings, measured = _ups_facts(h["name"], ups)
        if h.get("business_systems"):
            settings = _join([settings, "業務: " + _join(h["business_systems"])], "／")
        rows.append(
            {
                "host": h["name"],
                "description": h.get("description") or "",
                "role": role_ja(h),
                "segment": segment_name(segments, h.get("segment")),
                "site": names.get(h.get("site"), h.get("site") or ""),
                "address": str(h.get("address") or ""),
                "os": h.get("os") or h.get("os_family") or "",
                "pair": h.get("pair") or "",
                "ups": "予備機" if h.get("ups_spare") else (h.get("ups") or ""),
                "depends_on": _join(h.get("depends_on") or []),
                "settings": settings,
                "measured": measured,
            }
        )
    rows.sort(key=lambda r: (r["segment"], r["site"], r["role"], r["host"]))
    columns = [
        ("host", "ホスト名"),
        ("description", "機器名称"),
        ("role", "種別"),
        ("segment", "接続系"),
        ("site", "設置場所"),
        ("address", "IPアドレス"),
        ("os", "OS"),
        ("pair", "冗長ペア"),
        ("ups", "給電UPS"),
        ("depends_on", "依存先"),
        ("settings", "設定（機器から取得）"),
        ("measured", "稼働状態（取得時点）"),
    ]
    return register(
        "servers",
        "サーバ設定情報一覧表",
        "OPS-DOCS §6-3(4)③ 表1",
        source,
        read_at,
        columns,
        "host",
        rows,
        volatile=("measured",),
    )


# ---------------------------------------------------------------------------------------------------
# 機器詳細書 (OPS-DOCS §6-3(4)③): product, model, install date, connections, software and versions
def uplink(host, by_name, gateways):
    """The device a host is cabled to: its declared ports, else its site's gateway (PCs, printers,
    branch devices), else the core switch of its segment among its dependencies."""
    if host.get("ports"):
        return _join(
            [
                f"{p.get('port', '')}→{p.get('peer', '')}"
                + (f":{p['peer_port']}" if p.get("peer_port") else "")
                for p in host["ports"]
                if isinstance(p, dict)
            ]
        )
    if host.get("role") in NETWORK_ROLES:
        ups_peer = [d for d in host.get("depends_on") or [] if d in by_name]
        return _join(["WAN→" + d for d in ups_peer]) or "（基幹）"
    gw = gateways.get((host.get("site"), host.get("segment")))
    if gw and gw != host["name"]:
        return f"LAN→{gw}"
    return ""


def site_gateways(hosts):
    """(site, segment) -> the host that is that site's network device (gateway or core switch)."""
    found = {}
    for h in hosts:
        if h.get("role") in NETWORK_ROLES:
            key = (h.get("site"), h.get("segment"))
            if key not in found or h.get("role") == "switch":
                found[key] = h["name"]
    return found


def device_details(hosts, segments, sites, departments, software, read_at, source):
    names = site_names(sites)
    by_name = {h["name"]: h for h in hosts}
    gateways = site_gateways(hosts)
    rows = []
    for h in hosts:
        installed = software.get(h["name"]) or []
        rows.append(
            {
                "host": h["name"],
                "asset_no": h.get("asset_no") or "",
                "product": h.get("description") or role_ja(h),
                "model": h.get("model") or UNKNOWN,
                "installed_on": str(h.get("installed_on") or UNKNOWN),
                "segment": segment_name(segments, h.get("segment")),
                "site": h.get("location") or names.get(h.get("site"), h.get("site") or ""),
                "department": departments.get(h.get("department"), h.get("department") or ""),
                "user": h.get("user") or "",
                "os": h.get("os") or h.get("os_family") or "",
                "connection": uplink(h, by_name, gateways),
                "software": _join([f"{s['name']} {s['version']}" for s in installed], "\n"),
            }
        )
    rows.sort(key=lambda r: (is_pc(by_name[r["host"]]), r["segment"], r["site"], r["host"]))
    columns = [
        ("host", "ホスト名"),
        ("asset_no", "資産番号"),
        ("product", "製品・機器名称"),
        ("model", "型式"),
        ("installed_on", "導入日"),
        ("segment", "接続系"),
        ("site", "設置場所"),
        ("department", "所属"),
        ("user", "利用者"),
        ("os", "OS"),
        ("connection", "接続先"),
        ("software", "導入ソフトウェアと版数"),
    ]
    return register(
        "devices",
        "機器詳細書",
        "OPS-DOCS §6-3(4)③ 表1",
        source,
        read_at,
        columns,
        "host",
        rows,
        one_sheet=False,
    )


# ---------------------------------------------------------------------------------------------------
# IPアドレス台帳 (OPS-IPAM §6-3(4)④): the register view of the ledger, every address once
def ip_register(hosts, segments, sites, scopes, read_at, source):
    names = site_names(sites)
    rows = {}

    def add(ip, host, mac, seg, site, assignment, kind):
        try:
            ipaddress.ip_address(str(ip))
        except ValueError:
            return
        key = f"{ip} {host}"
        rows[key] = {
            "key": key,
            "ip": str(ip),
            "host": host,
            "mac": mac or "",
            "segment": segment_name(segments, seg),
            "site": names.get(site, site or ""),
            "assignment": assignment,
            "kind": kind,
        }

    for h in hosts:
        if h.get("address"):
            assignment = ASSIGNMENT_JA.get(h.get("ip_assignment") or "static", h.get("ip_assignment"))
            add(
                h["address"], h["name"], h.get("mac"), h.get("segment"), h.get("site"), assignment, role_ja(h)
            )
        for p in h.get("printers") or []:
            add(
                p.get("address"),
                p.get("name"),
                p.get("mac"),
                h.get("segment"),
                h.get("site"),
                "DHCP予約",
                "複合機" + (f"（{p['model']}）" if p.get("model") else ""),
            )
    for scope in scopes or []:
        for r in scope.get("reservations") or []:
            key = f"{r.get('ip')} {r.get('hostname')}"
            if key not in rows:
                add(
                    r.get("ip"),
                    r.get("hostname"),
                    r.get("mac"),
                    "lgwan",
                    scope.get("site"),
                    "DHCP予約",
                    "予約",
                )
    ordered = sorted(rows.values(), key=lambda r: (ipaddress.ip_address(r["ip"]), r["host"]))
    columns = [
        ("ip", "IPアドレス"),
        ("host", "ホスト名"),
        ("mac", "MACアドレス"),
        ("segment", "接続系"),
        ("site", "拠点"),
        ("assignment", "割当"),
        ("kind", "機器"),
    ]
    return register(
        "ip", "IPアドレス台帳", "OPS-IPAM §6-3(4)④", source, read_at, columns, "key", ordered, one_sheet=False
    )


# ---------------------------------------------------------------------------------------------------
# アカウント管理簿 (OPS-ACCT §6-3(2)③) from the directory
def account_register(accounts, departments, read_at, source):
    rows = []
    for a in accounts or []:
        dept = a.get("department") or ""
        rows.append(
            {
                "account": a["account"],
                "name": a.get("name") or "",
                "department": departments.get(dept, dept),
                "ou": a.get("ou") or "",
                "state": "有効" if a.get("enabled") else "無効",
                "groups": _join(sorted(a.get("groups") or []), "、"),
                "changed": a.get("changed") or "",
            }
        )
    rows.sort(key=lambda r: r["account"].lower())
    columns = [
        ("account", "アカウント"),
        ("name", "氏名"),
        ("department", "所属"),
        ("ou", "OU"),
        ("state", "状態"),
        ("groups", "所属グループ"),
        ("changed", "最終変更"),
    ]
    return register(
        "accounts",
        "アカウント管理簿",
        "OPS-ACCT §6-3(2)③",
        source,
        read_at,
        columns,
        "account",
        rows,
        one_sheet=False,
    )


# ---------------------------------------------------------------------------------------------------
# サーバラック搭載図 (OPS-DOCS §6-3(4)③, table 1): the racks as data, checked against the inventory
def check_racks(racks, hosts):
    """The racks, checked whole: every mount names an inventory host once, inside its rack, no overlap."""
    problems = []
    names = {h["name"] for h in hosts}
    mounted = {}
    for r_index, rack in enumerate(racks or []):
        where = (
            f"jichitai_racks[{r_index}] ({rack.get('name', 'no name') if isinstance(rack, dict) else '?'})"
        )
        if not isinstance(rack, dict) or not rack.get("name"):
            problems.append(f"{where}: a rack needs a name")
            continue
        units = rack.get("units")
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            problems.append(f"{where}: units must be a whole number ≥ 1 (got {units!r})")
            continue
        taken = {}
        for m_index, mount in enumerate(rack.get("mounts") or []):
            at = f"{where} mounts[{m_index}]"
            host, unit, height = mount.get("host"), mount.get("unit"), mount.get("height", 1)
            if host not in names:
                problems.append(f"{at}: {host!r} is not a host of the inventory")
            elif host in mounted:
                problems.append(f"{at}: {host} is already mounted in {mounted[host]}")
            mounted[host] = rack["name"]
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (unit, height)) or height < 1:
                problems.append(f"{at}: unit and height must be whole numbers (height ≥ 1)")
                continue
            if unit < 1 or unit + height - 1 > units:
                problems.append(f"{at}: units {unit}-{unit + height - 1} are outside the rack's 1-{units}")
                continue
            for u in range(unit, unit + height):
                if u in taken:
                    problems.append(f"{at}: unit {u} is already taken by {taken[u]}")
                    break
                taken[u] = host
    if problems:
        raise RegisterInputError(problems)


def rack_register(racks, hosts, read_at, source):
    by_name = {h["name"]: h for h in hosts}
    rows = []
    for rack in racks or []:
        for mount in sorted(rack.get("mounts") or [], key=lambda m: -m["unit"]):
            host = by_name.get(mount["host"], {"name": mount["host"]})
            top = mount["unit"] + mount.get("height", 1) - 1
            rows.append(
                {
                    "key": f"{rack['name']} {mount['host']}",
                    "rack": rack["name"],
                    "location": rack.get("location", ""),
                    "units": f"{mount['unit']}U" if top == mount["unit"] else f"{mount['unit']}-{top}U",
                    "host": mount["host"],
                    "description": host.get("description") or role_ja(host),
                    "ups": host.get("ups") or "",
                }
            )
    columns = [
        ("rack", "ラック"),
        ("location", "設置場所"),
        ("units", "搭載位置"),
        ("host", "ホスト名"),
        ("description", "機器名称"),
        ("ups", "給電UPS"),
    ]
    return register(
        "racks", "サーバラック搭載表", "OPS-DOCS §6-3(4)③ 表1", source, read_at, columns, "key", rows
    )
