# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the sweep's targets: every problem of every target, each named, before any probe."""

from __future__ import annotations

CHECK_TYPES = ("tcp", "tls", "icmp")


def _port_problem(value) -> str | None:
    if isinstance(value, bool):
        return f"port {value!r} is not a number"
    try:
        port = int(value)
    except (TypeError, ValueError):
        return f"port {value!r} is not a number"
    if str(port) != str(value).strip():
        return f"port {value!r} is not a whole number"
    if not 1 <= port <= 65535:
        return f"port {port} is out of range 1-65535"
    return None


def target_problems(targets) -> list[str]:
    """One message per problem, naming the target (or its position) and the check."""
    problems = []
    seen = set()
    for index, target in enumerate(targets):
        if not isinstance(target, dict):
            problems.append(f"targets[{index}] is not a dict")
            continue
        label = f"target {target.get('name')!r}" if target.get("name") else f"targets[{index}] (no name)"
        if not target.get("name"):
            problems.append(f"{label}: no name")
        elif target["name"] in seen:
            problems.append(f"{label}: name given twice")
        seen.add(target.get("name"))
        checks = target.get("checks") or []
        if not checks:
            problems.append(f"{label}: no checks")
        has_address = bool(str(target.get("address") or "").strip())
        for number, check in enumerate(checks):
            where = f"{label} check {number + 1}"
            if not isinstance(check, dict):
                problems.append(f"{where}: not a dict")
                continue
            kind = check.get("type")
            if kind not in CHECK_TYPES:
                problems.append(f"{where}: unknown check type {kind!r} (one of {', '.join(CHECK_TYPES)})")
                continue
            if not has_address and not str(check.get("address") or "").strip():
                problems.append(f"{where} ({kind}): no address (neither the target's nor the check's)")
            if kind in ("tcp", "tls"):
                if check.get("port") is None:
                    problems.append(f"{where} ({kind}): no port")
                else:
                    problem = _port_problem(check["port"])
                    if problem:
                        problems.append(f"{where} ({kind}): {problem}")
            elif check.get("port") is not None:
                problems.append(f"{where} (icmp): an icmp check takes no port")
    return problems
