# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Onboarding of devices other departments bought (REQUIREMENTS OPS-ONBOARD §6-3(9), OPS-ENDPT
§6-3(3)①): the decisions, as pure functions over data.

``plan_batch`` reads a batch of new devices in the asset ledger's own columns (validated by the
ledger's reader, ledger/asset_rows), recognises the devices already onboarded, and allocates each new
one an address from the DHCP scope of its site and segment: the next free address, never one a host,
a printer or a reservation of the IP ledger holds, never the dynamic pool, the gateway, the network or
the broadcast address. Every bad row is named with its line and nothing is allocated when one is bad.

``device_steps`` says what one device needs, in the order it is done: the old antivirus removed
(from the uninstall registry it reports), the removal verified, a reboot when the removal asks for
one, the contract antivirus, the SKYSEA agent and workflow client installed, the domain joined, the
services verified. The time a device runs without antivirus lies between the removal and the
contract antivirus's install; the plan keeps it to at most one reboot.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re

from ansible.module_utils.ledger.asset_rows import validate_rows

ASSIGNMENT_RESERVED = "DHCP予約"
STEP_JA = {
    "remove_av": "旧ウイルス対策ソフトの削除",
    "verify_removal": "削除の確認",
    "reboot": "再起動（削除が求める場合）",
    "install": "インストール",
    "join": "ドメイン参加",
    "verify_services": "サービスの確認",
}
# names under which antivirus products register themselves; an installed product that matches and is
# in neither the removal list nor the catalogue stops the device (nobody knows how to remove it)
AV_WORDS = re.compile(
    r"antivirus|anti-virus|virus ?buster|endpoint (security|protection)|internet security|"
    r"ウイルス|セキュリティ|defender for endpoint|eset|norton|mcafee|trend ?micro|kaspersky|sophos|"
    r"symantec|avast|avg |bitdefender|f-secure|sentinel ?one|crowdstrike|cylance",
    re.IGNORECASE,
)


class OnboardInputError(ValueError):
    def __init__(self, problems):
        head = "新規端末の一覧に誤りがあります（どの端末も変更していません）"
        super().__init__(f"{head}:\n  " + "\n  ".join(problems))
        self.problems = list(problems)


# ---- the batch --------------------------------------------------------------------------------
def _scope_of(device, scopes, segments):
    """The DHCP scope serving the device's site in its segment, or None."""
    nets = []
    for subnet in (segments.get(device["jichitai_segment"]) or {}).get("subnets", []):
        nets.append(ipaddress.ip_network(str(subnet), strict=False))
    for scope in scopes:
        if str(scope.get("site")) != str(device["jichitai_site"]):
            continue
        subnet = ipaddress.ip_network(str(scope["subnet"]), strict=False)
        if any(subnet.subnet_of(net) for net in nets if net.version == subnet.version):
            return scope
    return None


def _pool(scope):
    spec = scope.get("pool") or {}
    if isinstance(spec, str):
        start, _dash, end = spec.replace(" ", "").partition("-")
    else:
        start, end = spec.get("start"), spec.get("end")
    if not start or not end:
        return None
    return ipaddress.ip_address(str(start)), ipaddress.ip_address(str(end))


def _holders(records, scopes):
    """{address: who holds it} and {mac: who holds it} over the IP ledger: every host and printer
    record, every reservation of every scope, every scope's gateway."""
    by_ip, by_mac = {}, {}
    for rec in records:
        if rec.get("address"):
            by_ip.setdefault(str(rec["address"]), f"{rec['name']} ({rec.get('source', 'inventory')})")
        if rec.get("mac"):
            by_mac.setdefault(str(rec["mac"]).lower(), (rec["name"], rec.get("source", "inventory")))
    for scope in scopes:
        sname = scope.get("name") or scope.get("subnet")
        if scope.get("gateway"):
            by_ip.setdefault(str(scope["gateway"]), f"the gateway of scope {sname}")
        for index, res in enumerate(scope.get("reservations") or [], start=1):
            who = res.get("hostname") or "reservation"
            source = f"jichitai_dhcp_scopes {sname} reservation {index}"
            if res.get("ip"):
                by_ip.setdefault(str(res["ip"]), f"{who} ({source})")
            if res.get("mac"):
                by_mac.setdefault(str(res["mac"]).lower(), (res.get("hostname") or "", source))
    return by_ip, by_mac


def _usable(scope, address, pool):
    subnet = ipaddress.ip_network(str(scope["subnet"]), strict=False)
    if address not in subnet:
        return f"is outside the scope {scope.get('name')} ({subnet})"
    if subnet.num_addresses > 2 and address in (subnet.network_address, subnet.broadcast_address):
        return f"is the network or broadcast address of {subnet}"
    if pool and pool[0] <= address <= pool[1]:
        return f"is inside the dynamic pool {pool[0]}-{pool[1]} of scope {scope.get('name')}"
    return None


def _next_free(scope, pool, taken):
    subnet = ipaddress.ip_network(str(scope["subnet"]), strict=False)
    window = scope.get("allocation") or {}
    first = ipaddress.ip_address(str(window["start"])) if window.get("start") else None
    last = ipaddress.ip_address(str(window["end"])) if window.get("end") else None
    for address in subnet.hosts():
        if (first and address < first) or (last and address > last):
            continue
        if str(address) in taken or _usable(scope, address, pool):
            continue
        return address
    return None


def plan_batch(text, sites, departments, segments, scopes, records, options=None, source="batch"):
    """The batch's devices, each with its address, scope and whether it is already onboarded.

    TEXT: the batch CSV (asset ledger columns; IPアドレス may be empty). RECORDS: the IP ledger's
    records of the inventory (filter ip_ledger_records). Raises OnboardInputError naming every bad row.
    """
    known = {str(r["name"]).lower(): r for r in records}
    pcs, errors, _disposed = validate_rows(text, sites, departments, options, existing=(), ip_optional=True)
    raw = _raw_rows(text)
    problems = [f"{source} {e}" for e in errors]
    by_ip, by_mac = _holders(records, scopes)
    taken: dict[str, str] = {}
    devices = []
    for pc in pcs:
        line = pc["jichitai_ledger_line"]
        where = f"{source} line {line} ({pc['jichitai_computer_name']})"
        name, mac = pc["name"], pc["jichitai_mac"]
        existing = known.get(name)
        if existing is not None:
            if str(existing.get("mac") or "").lower() != mac:
                problems.append(
                    f"{where}: {pc['jichitai_computer_name']} is already a host of the inventory "
                    f"({existing.get('source')}) with MAC {existing.get('mac')}, not {mac}"
                )
                continue
            devices.append(dict(pc, ansible_host=existing.get("address"), onboarded=True,
                                scope=None, source_line=line))  # fmt: skip
            continue
        holder = by_mac.get(mac)
        if holder is not None and str(holder[0]).lower() != name:
            problems.append(f"{where}: MAC {mac} is already {holder[0] or 'reserved'} ({holder[1]})")
            continue
        scope = _scope_of(pc, scopes, segments)
        if scope is None:
            problems.append(
                f"{where}: no DHCP scope of the IP ledger serves site {pc['jichitai_site']} "
                f"in segment {pc['jichitai_segment']}"
            )
            continue
        pool = _pool(scope)
        if pc.get("ansible_host"):
            address = ipaddress.ip_address(pc["ansible_host"])
            reason = _usable(scope, address, pool)
            holder_ip = by_ip.get(str(address))
            if holder_ip and not holder_ip.lower().startswith(f"{name} "):
                reason = f"is taken by {holder_ip}"
            elif str(address) in taken:
                reason = f"is taken by {taken[str(address)]} of this batch"
            if reason:
                problems.append(f"{where}: IPアドレス {address} {reason}")
                continue
        else:
            address = _next_free(scope, pool, {**by_ip, **taken})
            if address is None:
                problems.append(
                    f"{where}: no free address left in scope {scope.get('name')} ({scope['subnet']}) "
                    f"of site {pc['jichitai_site']}"
                )
                continue
        taken[str(address)] = f"{pc['jichitai_computer_name']} (line {line})"
        devices.append(dict(pc, ansible_host=str(address), jichitai_ip_assignment="reserved", onboarded=False,
                            scope=scope.get("name"), source_line=line, row=raw.get(line, {})))  # fmt: skip
    if problems:
        raise OnboardInputError(problems)
    return devices


def _raw_rows(text):
    """{line: {header: value}} of the batch as written (the ledger gets the batch's own wording)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    rows, last = {}, reader.line_num
    for row in reader:
        line, last = last + 1, reader.line_num
        rows[line] = {h: v.strip() for h, v in zip(header, row, strict=False)}
    return rows


def reservations(devices, scopes):
    """{scope subnet: [reservation rows]} of the devices still to onboard, for dhcp_reservations."""
    subnet_of = {s.get("name"): str(s["subnet"]) for s in scopes}
    out: dict[str, list] = {}
    for dev in devices:
        if dev.get("onboarded"):
            continue
        out.setdefault(subnet_of[dev["scope"]], []).append(
            {"hostname": dev["name"], "mac": dev["jichitai_mac"], "ip": dev["ansible_host"],
             "source": f"line {dev['source_line']}"}  # fmt: skip
        )
    return out


def ledger_row(device, columns, header):
    """The device's row for the asset ledger, in the ledger's own header order: the batch's own values,
    with the allocated address, the assignment DHCP予約 and the status 稼働."""
    raw = dict(device.get("row") or {})
    raw[columns["ip"]] = device["ansible_host"]
    raw[columns["ip_assignment"]] = ASSIGNMENT_RESERVED
    raw.setdefault(columns["mac"], device["jichitai_mac"].upper().replace(":", "-"))
    if columns.get("status") in header:
        raw[columns["status"]] = "稼働"
    return [raw.get(h, "") for h in header]


# ---- one device -------------------------------------------------------------------------------
def _matches(product, installed):
    ids = {str(p).upper() for p in product.get("product_ids") or []}
    pattern = product.get("match")
    return (
        str(installed.get("product_id") or "").upper() in ids
        or bool(pattern and re.search(pattern, str(installed.get("name") or ""), re.IGNORECASE))
    )


def _version_key(version):
    return [int(p) if p.isdigit() else p for p in re.split(r"[.\-]", str(version or ""))]


def device_steps(installed, entries, removals, joined, domain):
    """The steps one device needs, in order, each {step, title, needed, ...}.

    INSTALLED: the device's uninstall registry, [{name, version, product_id, publisher}].
    ENTRIES: the catalogue entries it must have (antivirus, asset_agent, workflow_client), in order.
    REMOVALS: the antivirus products the city knows how to remove, [{id, name, match, product_ids,
    arguments, password_var, reboot}]. JOINED: the domain the device is in (None: a workgroup).
    Raises OnboardInputError for an antivirus nobody knows how to remove.
    """
    ours = {str(e["product_id"]).upper() for e in entries}
    steps, unknown = [], []
    removing = []
    for item in installed:
        if str(item.get("product_id") or "").upper() in ours:
            continue
        product = next((p for p in removals if _matches(p, item)), None)
        if product is not None:
            removing.append((item, product))
        elif AV_WORDS.search(f"{item.get('name', '')} {item.get('publisher', '')}"):
            label = f"{item.get('name')} {item.get('version') or ''}".strip()
            unknown.append(f"{label} ({item.get('product_id')})")
    if unknown:
        raise OnboardInputError(
            [f"antivirus not in the removal list (endpoint_onboard_av_removals): {u}" for u in unknown]
        )
    reboot = False
    for item, product in removing:
        steps.append({"step": "remove_av", "title": f"{STEP_JA['remove_av']}: {item.get('name')}",
                      "needed": True, "product": product["id"], "name": item.get("name"),
                      "product_id": item.get("product_id"), "arguments": product.get("arguments", ""),
                      "password_var": product.get("password_var")})  # fmt: skip
        reboot = reboot or bool(product.get("reboot"))
    steps.append({"step": "verify_removal", "title": STEP_JA["verify_removal"], "needed": bool(removing),
                  "product_ids": [item.get("product_id") for item, _p in removing]})  # fmt: skip
    steps.append({"step": "reboot", "title": STEP_JA["reboot"], "needed": reboot, "expected": reboot})
    have = {str(i.get("product_id") or "").upper(): i for i in installed}
    for entry in entries:
        current = have.get(str(entry["product_id"]).upper())
        needed = current is None or _version_key(current.get("version")) < _version_key(entry["version"])
        steps.append({"step": "install", "title": f"{STEP_JA['install']}: {entry['name']} {entry['version']}",
                      "needed": needed, "id": entry["id"], "kind": entry["kind"],
                      "from_version": None if current is None else current.get("version")})  # fmt: skip
    in_domain = bool(joined) and str(joined).lower() == str(domain).lower()
    steps.append({"step": "join", "title": f"{STEP_JA['join']}: {domain}", "needed": not in_domain})
    steps.append({"step": "verify_services", "title": STEP_JA["verify_services"], "needed": True})
    return steps


def without_antivirus(steps):
    """What the device goes through between losing its old antivirus and getting ours: the steps and
    the reboots in between (the plan's 'time without antivirus'; the goal is at most one reboot)."""
    removal = [s for s in steps if s["step"] == "remove_av" and s["needed"]]
    if not removal:
        return {"gap": False, "reboots": 0, "steps": []}
    start = steps.index(removal[0])
    end = next(i for i, s in enumerate(steps) if s["step"] == "install" and s["kind"] == "antivirus")
    between = [s for s in steps[start : end + 1] if s["needed"]]
    return {
        "gap": True,
        "reboots": sum(1 for s in between if s["step"] == "reboot"),
        "steps": [s["title"] for s in between],
    }
