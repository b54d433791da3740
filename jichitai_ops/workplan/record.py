"""Task results as plan/report records: what changed, the diff, and what could not be predicted.

Input is plain data the callback takes from Ansible's result objects; nothing here imports Ansible,
so the classification is unit-tested on its own.
"""

from __future__ import annotations

import difflib
import json
import math
import re

from .tables import table

HIDDEN = "非表示(機密)"
COMMAND_ACTIONS = {
    "command",
    "shell",
    "raw",
    "script",
    "expect",
    "ansible.builtin.command",
    "ansible.builtin.shell",
    "ansible.builtin.raw",
    "ansible.builtin.script",
    "ansible.legacy.command",
    "ansible.legacy.shell",
    "ansible.legacy.raw",
    "ansible.legacy.script",
    "ansible.windows.win_command",
    "ansible.windows.win_shell",
    "win_command",
    "win_shell",
    "community.general.expect",
}
ENTRY_STATES = ("changed", "ok", "skipped", "unpredictable", "failed", "unreachable")
MAX_TEXT = 200_000


# Data diffs are dumped with libyaml (CSafeDumper, about 4x faster: a transfer's plan dumps a thousand
# entries) when its output is known to equal PyYAML's: every string short enough that no line reaches
# the 80-column fold and made only of printable ASCII, CJK, kana and full-width forms. The two emitters
# differ only in folding long lines and in escaping rare characters (NEL, LS/PS, BOM, astral planes,
# control characters); anything else goes through PyYAML's own emitter, so the text never changes.
FAST_WIDTH = 78


def _quoted_len(text: str) -> int:
    return len(text) + 2 + text.count("'") + text.count('"') + text.count("\\")


# printable ASCII, Latin-1 to the enclosed alphanumerics, CJK (kana, ideographs), full-width forms
_PLAIN = re.compile("[\x20-\x7e\u00a1-\u24ff\u3000-\u9fff\uff01-\uff9f]*")


def _short(text: str, room: int) -> bool:
    return _quoted_len(text) <= room and _PLAIN.fullmatch(text) is not None


def _fast_dump_ok(value, indent: int = 0) -> bool:
    """Whether libyaml's dump of VALUE (JSON-normalised data) is the same text as PyYAML's."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((None, v) for v in value)
    else:
        return False
    for key, item in items:
        room = FAST_WIDTH - indent - 4
        if key is not None:
            if not isinstance(key, str) or not _short(key, room):
                return False
            room -= _quoted_len(key)
        if isinstance(item, (dict, list)):
            if not _fast_dump_ok(item, indent + 2):
                return False
        elif isinstance(item, str):
            if not _short(item, room):
                return False
        elif not (item is None or isinstance(item, (bool, int, float))):
            return False
    return True


def _text(value) -> str:
    """Text as it is; data (the file module's state, an LDAP entry) as YAML, which reads like a form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        import yaml
    except ImportError:
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    data = json.loads(json.dumps(value, default=str))
    dumper = yaml.SafeDumper
    if getattr(yaml, "__with_libyaml__", False) and _fast_dump_ok(data):
        dumper = yaml.CSafeDumper
    return yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=True, default_flow_style=False)


def normalize_diffs(diff) -> list[dict]:
    """Ansible's diff (a dict or a list of dicts; before/after as text or data) as text pairs."""
    if not diff:
        return []
    out = []
    for item in diff if isinstance(diff, list) else [diff]:
        if not isinstance(item, dict):
            continue
        if "prepared" in item:
            out.append({"header": "", "prepared": _text(item["prepared"])[:MAX_TEXT]})
            continue
        if "before" not in item and "after" not in item:
            continue
        header = item.get("before_header") or item.get("after_header") or ""
        out.append(
            {
                "header": str(header),
                "before": _text(item.get("before"))[:MAX_TEXT],
                "after": _text(item.get("after"))[:MAX_TEXT],
            }
        )
    return out


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(), after.splitlines()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            out += [("-", line) for line in a[i1:i2]]
        if tag in ("replace", "insert"):
            out += [("+", line) for line in b[j1:j2]]
    return out


def diff_signature(diffs: list[dict]) -> list:
    """What a diff changes: the removed and added lines, without headers (a module may name a temp
    file there) or unchanged context. Check mode cannot see an earlier item's change to the same
    file (a loop of lineinfile), so the context differs between plan and apply while the change does not."""
    lines = []
    for d in diffs:
        if d.get("hidden"):
            lines.append(("hidden", ""))
        elif "prepared" in d:
            lines += [
                (line[0], line[1:])
                for line in d["prepared"].splitlines()
                if line[:1] in "+-" and not line.startswith(("+++", "---"))
            ]
        else:
            lines += _changed_lines(d.get("before", ""), d.get("after", ""))
    return sorted(lines)


def _label(result: dict, index: int, hidden: bool) -> str | None:
    if hidden:
        return f"#{index + 1}"
    label = result.get("_ansible_item_label")
    if label is None:
        label = result.get(result.get("ansible_loop_var", "item"))
    if label is None:
        return f"#{index + 1}"
    text = (
        label
        if isinstance(label, str)
        else json.dumps(label, ensure_ascii=False, sort_keys=True, default=str)
    )
    return text[:120]


def _msg(result: dict) -> str:
    msg = result.get("msg") or result.get("reason") or ""
    return str(msg)[:300]


def classify(
    result: dict, status: str, *, action: str, planning: bool, ignore_errors: bool
) -> tuple[str, str]:
    """(state, note) of one result or loop item."""
    if status == "unreachable":
        return "unreachable", _msg(result)
    failed = status == "failed" or result.get("failed") or result.get("failed_when_result")
    if failed:
        if planning and ignore_errors:
            return "unpredictable", f"計画時にエラー（無視）: {_msg(result)}"
        return "failed", _msg(result)
    skipped = status == "skipped" or result.get("skipped")
    if skipped:
        msg = _msg(result)
        condition = str(result.get("false_condition", ""))
        if planning and "check mode" in msg.lower() and "would have run" not in msg.lower():
            return "unpredictable", "モジュールが確認モードに対応していないため変更を予測できません"
        if planning and action in COMMAND_ACTIONS and not result.get("skip_reason"):
            return "unpredictable", "コマンドは確認モードでは実行されないため変更を予測できません"
        if planning and "ansible_check_mode" in condition:
            return "unpredictable", f"確認モードでは実行しない条件付きタスクです（{condition}）"
        return "skipped", result.get("skip_reason") or msg
    if result.get("changed"):
        if planning and action in COMMAND_ACTIONS:
            return "changed", "コマンドを実行します（結果は予測できません）"
        return "changed", ""
    return "ok", ""


def record(
    *,
    host: str,
    task: str,
    key: str,
    action: str,
    role: str | None,
    handler: bool,
    result: dict,
    status: str,
    planning: bool,
    no_log: bool,
    ignore_errors: bool,
    sensitive: bool,
    ran_for_real: bool,
    minutes: float | None,
    seq: int,
    occurrence: int,
    started: str | None,
    ended: str | None,
    title_ja: str | None = None,
) -> dict:
    """One record per host and task; loop items become entries. TITLE_JA: the task's Japanese label
    (task var workplan_label), which the city's documents show in place of the task name."""
    hidden = no_log or bool(result.get("_ansible_no_log")) or "censored" in result
    items = result.get("results") if isinstance(result.get("results"), list) else None
    entries = []
    for index, item in enumerate(items if items is not None else [result]):
        if not isinstance(item, dict):
            item = {"changed": result.get("changed", False)}
        item_hidden = hidden or bool(item.get("_ansible_no_log")) or "censored" in item
        item_status = status
        if items is not None:
            item_status = "failed" if item.get("failed") else "skipped" if item.get("skipped") else "ok"
        state, note = classify(
            item, item_status, action=action, planning=planning, ignore_errors=ignore_errors
        )
        if item_hidden:
            diffs = [{"hidden": True}] if state == "changed" else []
            note = HIDDEN if state not in ("ok", "changed") else ""
        elif sensitive and state == "changed":
            diffs = [{"hidden": True}]
            note = "機密情報を含む可能性があるため差分を表示しません"
        else:
            diffs = normalize_diffs(item.get("diff"))
        if planning and ran_for_real and state == "changed":
            note = "計画作成時に実際に変更されました（check_mode: false のタスク）"
        entry = {
            "label": _label(item, index, item_hidden) if items is not None else None,
            "state": state,
            "note": note,
            "diffs": diffs,
        }
        if state in ("changed", "unpredictable") and not item_hidden and not sensitive:
            rows = table(action, item)
            if rows:
                entry["table"] = rows
        touched = item.get("changed_hosts", result.get("changed_hosts") if items is None else None)
        if state in ("changed", "unpredictable") and isinstance(touched, list):
            entry["hosts"] = sorted({str(h) for h in touched})
        entries.append(entry)
    if not entries:
        entries.append({"label": None, "state": "skipped", "note": "", "diffs": []})
    return {
        "seq": seq,
        "host": host,
        "task": task,
        "title_ja": title_ja,
        "key": key,
        "occurrence": occurrence,
        "action": action,
        "role": role,
        "handler": handler,
        "no_log": hidden,
        "minutes": minutes,
        "ran_for_real": ran_for_real,
        "started": started,
        "ended": ended,
        "entries": entries,
    }


def entry_key(rec: dict, entry: dict) -> tuple:
    return (rec["host"], rec["key"], rec["occurrence"], entry["label"])


def summarize(records: list[dict], guard_failed: bool = False) -> dict:
    counts = {state: 0 for state in ENTRY_STATES}
    hosts_changed, hosts_failed = set(), set()
    for rec in records:
        for entry in rec["entries"]:
            counts[entry["state"]] += 1
            if entry["state"] in ("changed", "unpredictable"):
                # a run_once or delegated module names the hosts it changes (changed_hosts)
                hosts_changed.update(entry.get("hosts") or [rec["host"]])
            if entry["state"] in ("failed", "unreachable"):
                hosts_failed.add(rec["host"])
    ran_for_real = sum(
        1 for r in records for e in r["entries"] if r["ran_for_real"] and e["state"] == "changed"
    )
    return {
        "changes": counts["changed"],
        "unpredictable": counts["unpredictable"],
        "failed": counts["failed"],
        "unreachable": counts["unreachable"],
        "hosts_with_changes": sorted(hosts_changed),
        "hosts_failed": sorted(hosts_failed),
        "changed_during_planning": ran_for_real,
        "incomplete": bool(hosts_failed) or guard_failed,
    }


def estimate(records: list[dict], default_minutes: float, forks: int, override: float | None = None) -> dict:
    """Estimated duration: per task with a change or an unpredictable step, its minutes times the
    number of host batches (hosts run ``forks`` at a time), in the order the tasks ran."""
    tasks: dict[str, dict] = {}
    for rec in sorted(records, key=lambda r: r["seq"]):
        slot = tasks.setdefault(
            f"{rec['key']}#{rec['occurrence']}",
            {
                "task": rec["task"],
                "title_ja": rec.get("title_ja"),
                "key": rec["key"],
                "seq": rec["seq"],
                "hosts": set(),
                "runs_on": set(),
                "minutes": rec["minutes"] if rec["minutes"] is not None else default_minutes,
            },
        )
        for e in rec["entries"]:
            if e["state"] in ("changed", "unpredictable"):
                slot["runs_on"].add(rec["host"])  # a run_once task takes its minutes once
                slot["hosts"].update(e.get("hosts") or [rec["host"]])
    schedule, offset = [], 0.0
    for slot in sorted(tasks.values(), key=lambda s: s["seq"]):
        if not slot["hosts"]:
            continue
        minutes = slot["minutes"] * math.ceil(len(slot["runs_on"]) / max(forks, 1))
        schedule.append(
            {
                "task": slot["task"],
                "title_ja": slot["title_ja"],
                "key": slot["key"],
                "hosts": sorted(slot["hosts"]),
                "offset_minutes": offset,
                "minutes": minutes,
            }
        )
        offset += minutes
    return {
        "minutes": override if override is not None else offset,
        "computed_minutes": offset,
        "override": override is not None,
        "schedule": schedule,
        "basis": f"変更のあるタスクごとに{default_minutes:g}分（タスク変数 "
        f"workplan_task_minutes で個別指定可）× ホスト群数（同時実行数 {forks}）",
    }
