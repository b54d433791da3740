"""Run history from ARA (ARA Records Ansible): every playbook run as ARA records it (its callback
`ara_default`, docs/records.md), read through ARA's REST API (`ara-manage runserver`, or ARA's offline
client on its SQLite database), with the labels that tie a run to the project's records:

  operation:<playbook name>   clause:<REQUIREMENTS id>   plan:<work plan id>

A run is linked to a work plan by its plan:<id> label, else by workplan_id=<id> among its recorded
extra variables, else (a plan run: the id is made during the run) by its playbook path and a plan
created while it ran. AWX keeps its own job history (cleaned after 90 days by default: the
cleanup_jobs system job), so the monthly report reads ARA, which keeps every run until it is pruned
on purpose (`ara playbook prune`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import urllib.parse
import urllib.request

from jichitai_ops.workplan.model import TZ, parse_time

DEFAULT_ENDPOINT = "http://127.0.0.1:8000"
PAGE = 500


class RunsError(RuntimeError):
    pass


def labels_for(operation: str, clause: str = "", plan_id: str = "") -> list[str]:
    """The ARA labels of a run (ara_playbook_labels, or ARA_DEFAULT_LABELS for the runner)."""
    labels = [f"operation:{operation}"]
    if clause:
        labels.append(f"clause:{clause}")
    if plan_id:
        labels.append(f"plan:{plan_id}")
    return labels


def _client(client: str, endpoint: str, timeout: float):
    if client == "offline":
        try:
            from ara.clients.utils import get_client
        except ImportError as exc:
            raise RunsError("ARA is not installed (pip install ara[server])") from exc
        offline = get_client(client="offline")

        def get(path: str, params: dict) -> dict:
            return offline.get(path, **params)

        return get

    def get_http(path: str, params: dict) -> dict:
        url = f"{endpoint.rstrip('/')}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (the configured ARA API)
                return json.loads(resp.read().decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise RunsError(f"ARA API {endpoint}: {exc}") from exc

    return get_http


def _label_value(labels: list[str], key: str) -> str:
    for name in labels:
        if name.startswith(f"{key}:"):
            return name.split(":", 1)[1]
    return ""


def _extra_plan(arguments: dict) -> str:
    extra = (arguments or {}).get("extra_vars") or []
    for item in extra if isinstance(extra, list) else [extra]:
        if isinstance(item, str) and item.startswith("workplan_id="):
            return item.split("=", 1)[1].strip()
    return ""


def normalise(item: dict) -> dict:
    labels = [label["name"] if isinstance(label, dict) else str(label) for label in item.get("labels") or []]
    path = item.get("path") or ""
    return {
        "id": item["id"],
        "playbook": os.path.basename(path),
        "path": path,
        "name": item.get("name") or "",
        "status": item.get("status") or "unknown",
        "started": item.get("started"),
        "ended": item.get("ended"),
        "duration": item.get("duration"),
        "check": bool((item.get("arguments") or {}).get("check")),
        "labels": labels,
        "operation": _label_value(labels, "operation") or os.path.splitext(os.path.basename(path))[0],
        "clause": _label_value(labels, "clause"),
        "plan_id": _label_value(labels, "plan") or _extra_plan(item.get("arguments") or {}),
        "controller": item.get("controller") or "",
    }


def month_runs(
    start: dt.datetime,
    end: dt.datetime,
    client: str = "http",
    endpoint: str = DEFAULT_ENDPOINT,
    timeout: float = 30,
) -> list[dict]:
    """Every run ARA recorded that started in [start, end), oldest first."""
    get = _client(client, endpoint, timeout)
    params = {
        "started_after": start.astimezone(dt.UTC).isoformat(),
        "started_before": end.astimezone(dt.UTC).isoformat(),
        "order": "started",
        "limit": PAGE,
    }
    runs, offset = [], 0
    while True:
        page = get("/api/v1/playbooks", params | {"offset": offset})
        results = page.get("results", [])
        runs.extend(normalise(item) for item in results)
        offset += len(results)
        if not results or offset >= int(page.get("count", 0)):
            break
    return runs


def link_plans(runs: list[dict], plans: list[dict]) -> dict[str, list[int]]:
    """Plan id -> ARA playbook ids: by label or extra variable, else a plan run of the same playbook
    that was running when the plan was created."""
    linked: dict[str, list[int]] = {}
    for run in runs:
        if run["plan_id"]:
            linked.setdefault(run["plan_id"], []).append(run["id"])
    for plan in plans:
        if linked.get(plan["id"]) or not plan.get("created_at"):
            continue
        created = parse_time(plan["created_at"])
        book = os.path.basename(plan.get("playbook") or "")
        for run in runs:
            if run["plan_id"] or run["playbook"] != book or not run["started"]:
                continue
            began = parse_time(run["started"])
            ended = parse_time(run["ended"]) if run["ended"] else dt.datetime.now(TZ)
            if began <= created <= ended + dt.timedelta(seconds=5):
                linked.setdefault(plan["id"], []).append(run["id"])
                run["plan_id"] = plan["id"]
                break
    return linked
