# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sweep: every check of every target at once, bounded by a semaphore, each with its own timeout.

A check that fails is tried again (``retries`` times, default once) before it counts as down: a
listener whose accept queue is momentarily full drops a SYN, and that must not read as an outage.
"""

from __future__ import annotations

import asyncio
import time

from ansible.module_utils.sweep.icmp import Pinger
from ansible.module_utils.sweep.probes import PROBES
from ansible.module_utils.sweep.states import CODES, CRITICAL, worst

DEFAULT_CONCURRENCY = 256
DEFAULT_TIMEOUT = 2.0
DEFAULT_RETRIES = 1
DEFAULT_CERT_WARNING_DAYS = 30


async def _check(target: dict, check: dict, settings: dict, gate: asyncio.Semaphore, pinger) -> dict:
    kind = check["type"]
    address = str(check.get("address") or target["address"]).strip()
    port = int(check["port"]) if check.get("port") is not None else None
    options = {
        "timeout": settings["timeout"],
        "server_name": check.get("server_name"),
        "ca_file": check.get("ca_file"),
        "cert_warning_days": settings["cert_warning_days"],
        "pinger": pinger,
    }
    attempts = 0
    async with gate:
        while True:
            attempts += 1
            state, latency, detail, extra = await PROBES[kind](address, port=port, **options)
            if state != CRITICAL or attempts > settings["retries"]:
                break
    result = {
        "type": kind,
        "address": address,
        "port": port,
        "state": state,
        "state_code": CODES[state],
        "latency_ms": latency,
        "detail": detail,
        "attempts": attempts,
    }
    if kind == "tls":
        result.update({"cert_not_after": None, "cert_days_left": None} | extra)
    return result


async def _sweep(targets: list[dict], settings: dict) -> list[dict]:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(settings["concurrency"])
    needs_icmp = any(c["type"] == "icmp" for t in targets for c in t["checks"])
    pinger = Pinger(loop) if needs_icmp else None
    try:
        jobs = [[_check(t, c, settings, gate, pinger) for c in t["checks"]] for t in targets]
        flat = await asyncio.gather(*(job for checks in jobs for job in checks))
    finally:
        if pinger is not None:
            pinger.close()
    results, position = [], 0
    for target, checks in zip(targets, jobs, strict=False):
        mine = flat[position:position + len(checks)]
        position += len(checks)
        state = worst(c["state"] for c in mine)
        results.append({
            "name": target["name"],
            "address": str(target.get("address") or "") or None,
            "state": state,
            "state_code": CODES[state],
            "checks": mine,
        })
    return results


def sweep(targets: list[dict], concurrency: int = DEFAULT_CONCURRENCY, timeout: float = DEFAULT_TIMEOUT,
          retries: int = DEFAULT_RETRIES, cert_warning_days: int = DEFAULT_CERT_WARNING_DAYS) -> dict:
    """{targets: [...], summary: {OK: n, ...}, down: [names], duration_seconds} for validated targets."""
    settings = {"concurrency": concurrency, "timeout": timeout, "retries": retries,
                "cert_warning_days": cert_warning_days}
    started = time.monotonic()
    results = asyncio.run(_sweep(targets, settings))
    duration = round(time.monotonic() - started, 3)
    summary = {state: 0 for state in CODES}
    for result in results:
        summary[result["state"]] += 1
    return {
        "targets": results,
        "summary": summary,
        "down": [r["name"] for r in results if r["state"] == CRITICAL],
        "duration_seconds": duration,
    }
