# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The configuration diagrams (ネットワーク構成図 ・サーバ・ネットワーク機器連携図, OPS-DOCS §6-3(4)③) as
Graphviz DOT text drawn from the inventory, rendered to SVG and PNG with ``dot`` (Debian graphviz).

- overview: the three segments on one page, what lives in each, the sanctioned paths between them.
- logical: every host in its segment and site; redundant pairs side by side; PCs listed by floor/site.
- physical: city hall's devices grouped by the UPS that feeds them; each branch site with its gateway,
  its UPS and its WAN link to city hall.
- relations: which server or network device each server depends on.
"""

from __future__ import annotations

import html
import os
import re
import subprocess

from ansible.module_utils.registers.model import NETWORK_ROLES, is_pc, role_ja, segment_name, site_names

FONT = "Noto Sans CJK JP"
SEGMENT_STYLE = {
    "lgwan": ("#e8f1fa", "#1f4e79"),
    "internet": ("#fdf0e6", "#c55a11"),
    "mynumber": ("#eaf4e4", "#38761d"),
}
DEFAULT_STYLE = ("#f2f2f2", "#555555")
TABLE = '<table border="0" cellborder="1" cellspacing="0" cellpadding="{pad}" bgcolor="white">'
SEGMENT_ORDER = ["internet", "lgwan", "mynumber"]  # left to right on the overview
ROW = 6  # nodes per row inside a site
PC_COLUMNS = 10  # PC names per row in a PC block
SITE_COLUMNS = 5  # branch sites per row


def q(text):
    """A DOT identifier, quoted."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def h(text):
    return html.escape(str(text), quote=True)


def cid(*parts):
    return "cluster_" + re.sub(r"[^A-Za-z0-9_]", "_", "_".join(str(p) for p in parts))


def _header(name, title, subtitle, rankdir="TB", extra=""):
    return [
        f"digraph {name} {{",
        f'  graph [rankdir={rankdir}, newrank=true, compound=true, fontname="{FONT}", fontsize=14, '
        f"labelloc=t, labeljust=l, nodesep=0.25, ranksep=0.45, pad=0.3, "
        f'label=<<font point-size="24"><b>{h(title)}</b></font><br/><font'
        f' point-size="12">{h(subtitle)}</font>>{extra}];',
        f'  node [fontname="{FONT}", fontsize=11, shape=box, style="rounded,filled", fillcolor=white, '
        f'color="#555555", margin="0.12,0.06"];',
        f'  edge [fontname="{FONT}", fontsize=10, color="#555555"];',
    ]


def _host_label(host, extra=""):
    address = host.get("address") or ""
    lines = [f"<b>{h(host['name'])}</b>", h(role_ja(host))]
    if address:
        lines.append(f'<font point-size="9">{h(address)}</font>')
    if extra:
        lines.append(f'<font point-size="9">{h(extra)}</font>')
    return "<" + "<br/>".join(lines) + ">"


def _node(host, indent="      ", extra="", **attrs):
    style = ""
    if host.get("role") in NETWORK_ROLES:
        style = ', shape=box3d, style="filled", fillcolor="#fff7d6"'
    elif host.get("role") == "ups":
        style = ', fillcolor="#f3e8ff"'
    more = "".join(f", {k}={v}" for k, v in attrs.items())
    return f"{indent}{q(host['name'])} [label={_host_label(host, extra)}{style}{more}];"


def _units(hosts):
    """Hosts as placement units: a redundant pair is one unit of two, side by side."""
    units, placed = [], set()
    pairs = {}
    for host in hosts:
        if host.get("pair"):
            pairs.setdefault(host["pair"], []).append(host)
    for host in hosts:
        if host["name"] in placed:
            continue
        members = pairs.get(host.get("pair")) if host.get("pair") else None
        unit = members if members and len(members) > 1 else [host]
        placed.update(m["name"] for m in unit)
        units.append(unit)
    return units


def _grid(units, indent, width=ROW):
    """Rows of WIDTH units: invisible edges wrap the rows, a pair's two nodes share a rank with a bold
    double line between them (冗長)."""
    lines = []
    flat_width = 0
    row_heads = []
    current = []
    for unit in units:
        if flat_width + len(unit) > width and current:
            row_heads.append(current)
            current, flat_width = [], 0
        current.append(unit)
        flat_width += len(unit)
    if current:
        row_heads.append(current)
    for r, row in enumerate(row_heads):
        names = [m["name"] for unit in row for m in unit]
        lines.append(f"{indent}{{ rank=same; {'; '.join(q(n) for n in names)}; }}")
        for unit in row:
            if len(unit) > 1:
                for a, b in zip(unit, unit[1:], strict=False):
                    lines.append(
                        f'{indent}{q(a["name"])} -> {q(b["name"])} [dir=none, penwidth=3, color="#1f4e79", '
                        f'label="冗長", fontcolor="#1f4e79", constraint=false];'
                    )
        if r:
            above = row_heads[r - 1][0][0]["name"]
            lines.append(f"{indent}{q(above)} -> {q(names[0])} [style=invis];")
    return lines


def _pc_block(node_id, sections, indent):
    """One table of PC names for a site: a header row per floor (or area), the names below it."""
    total = sum(len(pcs) for _title, pcs in sections)
    columns = 20 if total > 200 else PC_COLUMNS
    rows = []
    for title, pcs in sections:
        rows.append(f'<tr><td colspan="{columns}" bgcolor="#dde7f0" align="left"><b>{h(title)}</b></td></tr>')
        names = sorted(p["name"] for p in pcs)
        for i in range(0, len(names), columns):
            cells = "".join(f'<td><font point-size="8">{h(n)}</font></td>' for n in names[i : i + columns])
            rows.append(f"<tr>{cells}</tr>")
    table = TABLE.format(pad=2) + "".join(rows) + "</table>"
    return f"{indent}{q(node_id)} [shape=plaintext, style=solid, margin=0, label=<{table}>];"


def _pc_summary(pcs):
    kinds = {}
    for p in pcs:
        kinds[role_ja(p)] = kinds.get(role_ja(p), 0) + 1
    return f"端末 {len(pcs)}台（" + "・".join(f"{k} {v}" for k, v in sorted(kinds.items())) + "）"


def _floor(pc, site_name):
    location = pc.get("location") or ""
    rest = location.replace(site_name, "").strip() if site_name else ""
    return rest


def logical(hosts, segments, sites, inventory, read_at):
    """Every host in its segment cluster and its site sub-cluster (PC names in per-floor tables)."""
    names = site_names(sites)
    order = {s.get("id"): i for i, s in enumerate(sites or [])}
    lines = _header(
        "logical",
        "ネットワーク構成図（論理）",
        f"{inventory}　全{len(hosts)}台　{read_at} 時"
        "点　枠＝接続系・設置場所、二重線＝冗長構成、拠点間回線と UPS は物理構成図",
    )
    for seg in segments:
        members = [x for x in hosts if x.get("segment") == seg]
        if not members:
            continue
        fill, border = SEGMENT_STYLE.get(seg, DEFAULT_STYLE)
        subnets = "、".join(segments[seg].get("subnets") or [])
        lines.append(f"  subgraph {cid('seg', seg)} {{")
        lines.append(
            f'    label=<<font point-size="20"><b>{h(segment_name(segments, seg))}</b></font>'
            f'<font point-size="12">　{h(subnets)}　{len(members)}台</font>>;'
        )
        lines.append(
            f'    style="filled,rounded"; fillcolor="{fill}";'
            f' color="{border}"; penwidth=3; fontcolor="{border}";'
        )
        by_site = {}
        for x in members:
            by_site.setdefault(x.get("site") or "", []).append(x)
        placed = []  # (top node, bottom node) per site, city hall first
        for site in sorted(by_site, key=lambda s: (order.get(s, 999), s)):
            group = by_site[site]
            devices = [x for x in group if not is_pc(x)]
            pcs = [x for x in group if is_pc(x)]
            site_name = names.get(site, site)
            lines.append(f"    subgraph {cid('site', seg, site)} {{")
            lines.append(
                f"      label=<<b>{h(site_name)}</b>　{h(_pc_summary(pcs) if pcs else '')}>; "
                f'style="filled,rounded"; fillcolor=white; color="{border}"; penwidth=1; fontcolor="#222222";'
            )
            for x in devices:
                lines.append(_node(x))
            width = ROW if len(devices) > 3 else 3
            lines.extend(_grid(_units(devices), "      ", width=width))
            top = devices[0]["name"] if devices else None
            bottom = devices[-1]["name"] if devices else None
            if pcs:
                floors = {}
                for pc in pcs:
                    floors.setdefault(_floor(pc, site_name), []).append(pc)
                sections = [
                    (f"{site_name} {floor}".strip() + f"　{len(floors[floor])}台", floors[floor])
                    for floor in sorted(floors)
                ]
                block = f"pcs|{seg}|{site}"
                lines.append(_pc_block(block, sections, "      "))
                if bottom:
                    lines.append(f"      {q(bottom)} -> {q(block)} [style=invis];")
                top = top or block
                bottom = block
            placed.append((top, bottom))
            lines.append("    }")
        # the other sites in rows of SITE_COLUMNS below the first (city hall)
        for i in range(1, len(placed)):
            above = placed[0][1] if i <= SITE_COLUMNS else placed[i - SITE_COLUMNS][1]
            lines.append(f"    {q(above)} -> {q(placed[i][0])} [style=invis];")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def overview(hosts, segments, sites, routes, inventory, read_at):
    """One page: each segment with what lives there, and the only paths between segments."""
    lines = _header(
        "overview",
        "ネットワーク構成図（全体概要）",
        f"{inventory}　{read_at} 時点",
        rankdir="LR",
        extra=", nodesep=0.6, ranksep=1.2",
    )
    lines.append(
        "  lgwan_net [label=<<b>LGWAN（総合行政ネット"
        "ワーク）</b><br/>自治体情報セキュリティ向上プラットフォーム>, "
        'shape=cylinder, fillcolor="#dde7f0"];'
    )
    lines.append(
        "  internet_net [label=<<b>インターネット</b><br/>（自治体情報セキ"
        'ュリティクラウド経由）>, shape=cylinder, fillcolor="#fde9d9"];'
    )
    for seg in segments:
        members = [x for x in hosts if x.get("segment") == seg]
        fill, border = SEGMENT_STYLE.get(seg, DEFAULT_STYLE)
        pcs = [x for x in members if is_pc(x)]
        roles = {}
        for x in members:
            if not is_pc(x):
                roles[role_ja(x)] = roles.get(role_ja(x), 0) + 1
        seg_sites = sorted(
            {x.get("site") for x in members if x.get("site")}, key=lambda s: (s != "cityhall", s)
        )
        site_text = "本庁舎のみ" if seg_sites == ["cityhall"] else f"本庁舎＋出先 {len(seg_sites) - 1}拠点"
        rows = "".join(
            f'<tr><td align="left">{h(r)}</td><td align="right">{n}台</td></tr>'
            for r, n in sorted(roles.items())
        )
        table = (
            f'<table border="0" cellborder="1" cellspacing="0" cellpadding="4" bgcolor="white">'
            f'<tr><td colspan="2" bgcolor="{fill}"><b>サーバ・'
            f"機器 {sum(roles.values())}台</b></td></tr>{rows}"
            '<tr><td colspan="2"'
            f' bgcolor="{fill}"><b>{h(_pc_summary(pcs)) if pcs else "端末なし"}</b></td></tr>'
            f'<tr><td colspan="2">{h(site_text)}</td></tr></table>'
        )
        lines.append(f"  subgraph {cid('seg', seg)} {{")
        lines.append(
            f'    label=<<font point-size="20"><b>{h(segment_name(segments, seg))}</b></font><br/>'
            f'<font point-size="11">{h("、".join(segments[seg].get("subnets") or []))}</font>>;'
        )
        lines.append(
            f'    style="filled,rounded"; fillcolor="{fill}";'
            f' color="{border}"; penwidth=3; fontcolor="{border}";'
        )
        lines.append(f"    {q('dev_' + seg)} [shape=plaintext, style=solid, label=<{table}>];")
        lines.append("  }")
    if "lgwan" in segments:
        lines.append(
            f"  lgwan_net -> {q('dev_lgwan')} [dir=both,"
            f' lhead={cid("seg", "lgwan")}, label="更新・定義ファイル"];'
        )
    if "internet" in segments:
        lines.append(
            f"  internet_net -> {q('dev_internet')} [dir=both,"
            f' lhead={cid("seg", "internet")}, label="Web・メール"];'
        )
    for route in sorted(routes or {}):
        spec = routes[route]
        segs = sorted(
            (s for s in spec.get("segments") or [] if s in segments),
            key=lambda s: SEGMENT_ORDER.index(s) if s in SEGMENT_ORDER else 9,
        )
        if len(segs) != 2:
            continue
        carriers = sorted(x["name"] for x in hosts if x.get("transfer_route") == route)
        label = spec.get("name", route) + (f"\n（{'・'.join(carriers)}）" if carriers else "")
        lines.append(
            f"  {q('dev_' + segs[0])} -> {q('dev_' + segs[1])}"
            ' [dir=both, color="#b42318", fontcolor="#b42318", '
            f"penwidth=2, style=dashed, label={q(label)},"
            f" ltail={cid('seg', segs[0])}, lhead={cid('seg', segs[1])}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def physical(hosts, segments, sites, inventory, read_at):
    """City hall's devices grouped by the UPS that feeds them; below, each branch site with its gateway,
    its UPS and what hangs off its LAN, in rows."""
    names = site_names(sites)
    by_name = {x["name"]: x for x in hosts}
    lines = _header(
        "physical",
        "ネットワーク構成図（物理）・UPS給電",
        f"{inventory}　{read_at} 時点　枠＝設置場所／UPS "
        "の給電範囲、破線＝給電、出先拠点は拠点ルータから拠点間回線で本庁舎へ接続",
        extra=", ranksep=0.5",
    )
    center = (sites or [{}])[0].get("id", "cityhall")
    devices = [x for x in hosts if not is_pc(x) and x.get("site") == center]
    pcs_center = [x for x in hosts if is_pc(x) and x.get("site") == center]
    lines.append(f"  subgraph {cid('site', center)} {{")
    lines.append(
        "    label=<<font"
        f' point-size="18"><b>{h(names.get(center, center))}</b></font>　{h(_pc_summary(pcs_center))}>; '
        'style="rounded"; color="#1f4e79"; penwidth=2;'
    )
    feeds = {}
    for x in devices:
        if x.get("role") == "ups":
            continue
        feeds.setdefault(x.get("ups") or "", []).append(x)
    bottoms = []
    for ups in sorted(feeds):
        fed = feeds[ups]
        seg = (by_name.get(ups) or fed[0]).get("segment")
        fill, border = SEGMENT_STYLE.get(seg, DEFAULT_STYLE)
        title = (
            f"UPS {ups}（{by_name[ups].get('description', '')}）から給電"
            if ups in by_name
            else "給電元 UPS 未登録"
        )
        lines.append(f"    subgraph {cid('ups', ups or 'none')} {{")
        lines.append(
            f'      label=<<b>{h(title)}</b>　{len(fed)}台>; style="filled'
            f',rounded"; fillcolor="{fill}"; color="{border}";'
        )
        if ups in by_name:
            lines.append(_node(by_name[ups], extra="給電元"))
        for x in fed:
            lines.append(_node(x))
        units = _units(sorted(fed, key=_device_order))
        lines.extend(_grid(units, "      ", width=4))
        if ups in by_name:
            lines.append(
                f'      {q(ups)} -> {q(units[0][0]["name"])} [style=dashed, color="#7e3fbf", label="給電"];'
            )
        bottoms.append(units[-1][-1]["name"])
        lines.append("    }")
    for x in devices:
        if x.get("role") == "ups" and x["name"] not in feeds:
            lines.append(
                _node(x, indent="    ", extra="予備・未接続" if x.get("ups_spare") else "給電先なし")
            )
    lines.append("  }")
    branch = [s.get("id") for s in sites or [] if s.get("id") != center]
    placed = []
    for site in branch:
        members = [x for x in hosts if x.get("site") == site]
        if not members:
            continue
        pcs = [x for x in members if is_pc(x)]
        printers = sum(len(x.get("printers") or []) for x in members)
        devs = [x for x in members if not is_pc(x)]
        lines.append(f"  subgraph {cid('site', site)} {{")
        lines.append(f'    label=<<b>{h(names.get(site, site))}</b>>; style="rounded"; color="#1f4e79";')
        for x in devs:
            extra = ""
            if x.get("role") in NETWORK_ROLES:
                extra = "拠点間回線→" + "・".join(d for d in x.get("depends_on") or [] if d in by_name)
            lines.append(_node(x, indent="    ", extra=extra))
        lan = "lan_" + site
        lines.append(
            f"    {q(lan)} [label=<{h(_pc_summary(pcs) if pcs else '端末なし')}<br/>"
            f'複合機 {printers}台>, fillcolor="#f7f7f7"];'
        )
        lines.append(f"    {{ rank=same; {'; '.join(q(x['name']) for x in devs)}; }}" if devs else "")
        gws = [x["name"] for x in devs if x.get("role") in NETWORK_ROLES]
        for gw in gws:
            lines.append(f'    {q(gw)} -> {q(lan)} [dir=none, label="LAN"];')
            ups = by_name.get(gw, {}).get("ups")
            if ups in by_name and by_name[ups].get("site") == site:
                lines.append(
                    f"    {q(ups)} -> {q(gw)} [style=dashed,"
                    ' color="#7e3fbf", label="給電", constraint=false];'
                )
        placed.append(((gws or [x["name"] for x in devs] or [lan])[0], lan))
        lines.append("  }")
    if placed:
        hub = "wan_hub"
        cores = sorted(
            {
                d
                for s in branch
                for x in hosts
                if x.get("site") == s and x.get("role") in NETWORK_ROLES
                for d in x.get("depends_on") or []
                if d in by_name
            }
        )
        lines.append(
            f"  {hub} [label=<<b>拠点間回線（LGWAN系）</b><br/>出先"
            f" {len(placed)}拠点の拠点ルータ ⇔ {h('・'.join(cores))}>, "
            'shape=cds, fillcolor="#dde7f0"];'
        )
        for core in cores:
            lines.append(f'  {q(core)} -> {hub} [dir=none, penwidth=2, color="#1f4e79"];')
        for bottom in bottoms:
            lines.append(f"  {q(bottom)} -> {hub} [style=invis];")
        for i, (top, _bottom) in enumerate(placed):
            above = hub if i < SITE_COLUMNS + 1 else placed[i - SITE_COLUMNS - 1][1]
            lines.append(f"  {q(above)} -> {q(top)} [style=invis];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _device_order(host):
    return (host.get("role") not in NETWORK_ROLES, host.get("role") or "", host["name"])


def relations(hosts, segments, inventory, read_at):
    """Which server or network device each one depends on (arrow: from what is needed to what needs it)."""
    devices = [x for x in hosts if not is_pc(x) and x.get("role") not in ("ups", "gateway")]
    gateways = [x for x in hosts if x.get("role") == "gateway"]
    by_name = {x["name"]: x for x in devices}
    lines = _header(
        "relations",
        "サーバ・ネットワーク機器連携図",
        f"{inventory}　{read_at} 時点　矢印＝依存（矢印の元が止まると先が使えない）",
        extra=", ranksep=0.8",
    )
    for seg in segments:
        members = [x for x in devices if x.get("segment") == seg]
        if not members:
            continue
        fill, border = SEGMENT_STYLE.get(seg, DEFAULT_STYLE)
        lines.append(f"  subgraph {cid('seg', seg)} {{")
        lines.append(
            f'    label=<<font point-size="18"><b>{h(segment_name(segments, seg))}</b></font>>; '
            f'style="filled,rounded"; fillcolor="{fill}"; color="{border}"; penwidth=3; fontcolor="{border}";'
        )
        for x in members:
            lines.append(_node(x, indent="    "))
        for unit in _units(members):
            if len(unit) > 1:
                lines.append(f"    {{ rank=same; {'; '.join(q(m['name']) for m in unit)}; }}")
        if seg == "lgwan" and gateways:
            lines.append(
                f"    branch_gateways [label=<<b>出先拠点ルータ {len(gateways)}台</b><br/>"
                f'<font point-size="9">{h("・".join(g["name"] for g in gateways[:4]))} ほか</font>>, '
                'shape=box3d, style=filled, fillcolor="#fff7d6"];'
            )
        lines.append("  }")
    seen = set()
    for x in devices:
        for dep in x.get("depends_on") or []:
            if dep in by_name and (dep, x["name"]) not in seen:
                seen.add((dep, x["name"]))
                cross = by_name[dep].get("segment") != x.get("segment")
                style = ' [color="#b42318", penwidth=2]' if cross else ""
                lines.append(f"  {q(dep)} -> {q(x['name'])}{style};")
    targets = sorted({d for g in gateways for d in g.get("depends_on") or [] if d in by_name})
    for dep in targets:
        lines.append(f'  {q(dep)} -> branch_gateways [label="拠点間回線"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(sources, out_dir, dot="dot", formats=("svg", "png"), timeout=120):
    """Writes NAME.dot and renders NAME.<format> for each {name: dot text}, the renders in parallel;
    returns {name: {format: path}}. Raises RuntimeError naming each diagram dot refused."""
    os.makedirs(out_dir, exist_ok=True)
    jobs, paths = [], {}
    for name, text in sources.items():
        src = os.path.join(out_dir, f"{name}.dot")
        with open(src, "w", encoding="utf-8") as handle:
            handle.write(text)
        paths[name] = {"dot": src}
        for fmt in formats:
            out = os.path.join(out_dir, f"{name}.{fmt}")
            args = [dot, f"-T{fmt}", "-o", out, src]
            if fmt == "png":
                args[2:2] = ["-Gdpi=72"]
            jobs.append(
                (name, fmt, out, subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
            )
    problems = []
    for name, fmt, out, proc in jobs:
        try:
            _out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            problems.append(f"{name}.{fmt}: dot took longer than {timeout} s")
            continue
        if proc.returncode != 0:
            problems.append(
                f"{name}.{fmt}: dot failed (rc {proc.returncode}): {err.decode(errors='replace')[-500:]}"
            )
        else:
            paths[name][fmt] = out
    if problems:
        raise RuntimeError("; ".join(problems))
    return paths


def racks(rack_list, hosts, inventory, read_at):
    """サーバラック搭載図: each rack as a column of its units, top unit first, the devices in their units."""
    by_name = {x["name"]: x for x in hosts}
    lines = _header(
        "racks",
        "サーバラック搭載図",
        f"{inventory}　{read_at} 時点　U＝ユニット（下から数える）",
        extra=", nodesep=0.6",
    )
    names = []
    for index, rack in enumerate(rack_list or []):
        units = rack["units"]
        by_unit = {}
        for mount in rack.get("mounts") or []:
            by_unit[mount["unit"] + mount.get("height", 1) - 1] = mount
        title = f'<font color="white"><b>{h(rack["name"])}</b></font>'
        rows = [f'<tr><td colspan="2" bgcolor="#1f4e79">{title}</td></tr>']
        u = units
        while u >= 1:
            mount = by_unit.get(u)
            if mount is None:
                rows.append(f'<tr><td><font point-size="8">{u}</font></td><td width="220"> </td></tr>')
                u -= 1
                continue
            height = mount.get("height", 1)
            host = by_name.get(mount["host"], {"name": mount["host"]})
            seg = host.get("segment")
            fill = SEGMENT_STYLE.get(seg, DEFAULT_STYLE)[0]
            label = f"<b>{h(mount['host'])}</b>　{h(role_ja(host))}" if host.get("role") else h(mount["host"])
            cell = f'<td rowspan="{height}" bgcolor="{fill}">{label}</td>'
            rows.append(f'<tr><td><font point-size="8">{u}</font></td>{cell}</tr>')
            for below in range(u - 1, u - height, -1):
                rows.append(f'<tr><td><font point-size="8">{below}</font></td></tr>')
            u -= height
        node = f"rack_{index}"
        names.append(node)
        table = TABLE.format(pad=2) + "".join(rows) + "</table>"
        lines.append(f"  {node} [shape=plaintext, style=solid, margin=0, label=<{table}>];")
        lines.append(f'  {node}_loc [shape=plaintext, style=solid, label="{h(rack.get("location", ""))}"];')
        lines.append(f"  {node}_loc -> {node} [style=invis];")
    if names:
        lines.append(f"  {{ rank=same; {'; '.join(names)}; }}")
    lines.append("}")
    return "\n".join(lines) + "\n"
