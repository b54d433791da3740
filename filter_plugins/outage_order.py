"""Shutdown and startup order for a planned power outage (REQUIREMENTS OPS-OUTAGE, §6-3(8)).

The order is derived from the inventory, never kept by hand:

* ``jichitai_depends_on`` (and ``jichitai_ups``, the UPS that feeds a host) are edges
  "host needs target".  Shutdown takes dependants first, startup the reverse.
* The sort is Kahn's algorithm.  Among the hosts that are free to go at a step, only those of
  the earliest role category (``CATEGORIES``) form the next tier, so the customary order
  (PCs, application servers, SKYSEA/antivirus/WSUS, file servers, AD, appliances, virtual
  servers, virtualisation hosts and storage, network gear, UPSes) holds wherever the
  dependencies allow it.
* Members of a redundant pair (same ``jichitai_pair`` and segment) are one node of the graph:
  both go down in the same tier, after everything that depends on either of them.  Inside
  the tier the member the others depend on (else the lowest name, by convention the first
  controller) goes last on shutdown and so comes up first on startup.
* A cycle is an error naming it (``a → b → c → a``); a name in ``jichitai_depends_on`` or
  ``jichitai_ups`` that is not in the inventory is an error naming every host that refers to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # pragma: no cover - unit tests run without ansible on the path too
    AnsibleFilterError = ValueError

# (category id, label for the city's plan, roles in it) in shutdown order.
CATEGORIES: tuple[tuple[str, str, frozenset[str]], ...] = (
    (
        "pc",
        "稼働中の端末",
        frozenset({"pc", "notebook_pc", "desktop_pc", "two_in_one_pc", "telework_pc", "client"}),
    ),
    (
        "application",
        "業務・アプリケーションサーバ",
        frozenset(
            {
                "app_server",
                "application",
                "mail_relay",
                "mfp_server",
                "print_server",
                "transfer",
                "sanitizer",
                "virtual_browser",
                "telework",
                "web",
            }
        ),
    ),
    (
        "management",
        "SKYSEA・ウイルス対策・WSUS等の管理サーバ",
        frozenset(
            {
                "skysea",
                "av_mgmt",
                "ops_mgmt",
                "wsus",
                "kms",
            }
        ),
    ),
    ("file", "ファイルサーバ・バックアップ", frozenset({"file_server", "backup", "nas_share"})),
    ("directory", "Active Directory", frozenset({"ad_dc"})),
    (
        "appliance",
        "アプライアンス（DHCP・RADIUS等）",
        frozenset({"dhcp", "radius", "appliance"}),
    ),
    ("virtual", "仮想サーバ", frozenset({"virtual_server", "vm"})),
    (
        "platform",
        "仮想基盤・ストレージ",
        frozenset(
            {
                "hypervisor",
                "virtualisation_host",
                "virtualization_host",
                "storage",
                "san",
                "nas",
            }
        ),
    ),
    # network gear carries the run itself: it goes dark with its UPS and comes back first
    ("network", "ネットワーク機器", frozenset({"switch", "gateway", "router", "firewall"})),
    ("ups", "UPS", frozenset({"ups"})),
)
CATEGORY_RANK = {cat: rank for rank, (cat, _label, _roles) in enumerate(CATEGORIES)}
CATEGORY_LABEL = {cat: label for cat, label, _roles in CATEGORIES}
ROLE_CATEGORY = {role: cat for cat, _label, roles in CATEGORIES for role in roles}
# A role not listed above falls back on the host's OS family.
OS_FAMILY_CATEGORY = {
    "windows": "application",
    "linux": "application",
    "appliance": "appliance",
    "ups": "ups",
}

ARROW = " → "


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _category(role: str | None, os_family: str | None, overrides: Mapping[str, str]) -> str:
    if role and role in overrides:
        return overrides[role]
    if role and role in ROLE_CATEGORY:
        return ROLE_CATEGORY[role]
    return OS_FAMILY_CATEGORY.get(os_family or "", "application")


def _host_facts(hostvars: Mapping, names: Iterable[str], overrides: Mapping[str, str]) -> dict[str, dict]:
    facts, errors = {}, []
    for name in names:
        hv = hostvars[name]
        deps = hv.get("jichitai_depends_on") or []
        if not isinstance(deps, (list, tuple, str)):
            errors.append(
                f"{name}: jichitai_depends_on must be a list of host names, not {type(deps).__name__}"
            )
            deps = []
        role, os_family = hv.get("jichitai_role"), hv.get("jichitai_os_family")
        category = _category(role, os_family, overrides)
        if category not in CATEGORY_RANK:
            errors.append(f"{name}: role {role!r} maps to unknown outage category {category!r}")
            category = "application"
        facts[name] = {
            "role": role,
            "os_family": os_family,
            "segment": hv.get("jichitai_segment"),
            "pair": hv.get("jichitai_pair") or None,
            "ups": hv.get("jichitai_ups") or None,
            "depends_on": [str(d) for d in _as_list(deps)],
            "category": category,
        }
    if errors:
        raise AnsibleFilterError("outage order: bad host data:\n  " + "\n  ".join(errors))
    return facts


def _check_references(facts: Mapping[str, dict]) -> None:
    missing: dict[str, list[str]] = {}
    for name in sorted(facts):
        for dep in facts[name]["depends_on"]:
            if dep not in facts:
                missing.setdefault(dep, []).append(f"{name} (jichitai_depends_on)")
        ups = facts[name]["ups"]
        if ups and ups not in facts:
            missing.setdefault(ups, []).append(f"{name} (jichitai_ups)")
    if missing:
        lines = [
            f"{target!r} is not in the inventory, named by: {', '.join(refs)}"
            for target, refs in sorted(missing.items())
        ]
        raise AnsibleFilterError("outage order: unknown hosts in dependencies:\n  " + "\n  ".join(lines))


class _Graph:
    """Hosts collapsed into nodes (a redundant pair is one node); edges "node needs node"."""

    def __init__(self, facts: Mapping[str, dict], scope: list[str]):
        self.facts = facts
        self.node_of: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        for name in sorted(scope):
            f = facts[name]
            node = f"pair:{f['pair']}:{f['segment']}" if f["pair"] else name
            self.node_of[name] = node
            self.members.setdefault(node, []).append(name)
        self.needs: dict[str, set[str]] = {n: set() for n in self.members}
        self.inner: dict[str, set[str]] = {}  # pair member -> members of its own pair it needs
        for name in self.node_of:
            targets = list(facts[name]["depends_on"])
            if facts[name]["ups"]:
                targets.append(facts[name]["ups"])
            for dep in targets:
                if dep not in self.node_of:
                    continue  # outside the outage scope: it stays up
                src, dst = self.node_of[name], self.node_of[dep]
                if dep == name:
                    self.needs[src].add(dst)  # a self-dependency is a cycle of one
                elif src == dst:
                    self.inner.setdefault(name, set()).add(dep)
                else:
                    self.needs[src].add(dst)

    def rank(self, node: str) -> int:
        return min(CATEGORY_RANK[self.facts[m]["category"]] for m in self.members[node])

    def label(self, node: str) -> str:
        return "+".join(self.members[node])

    def shutdown_members(self, node: str) -> list[str]:
        """Members of a node in shutdown order: those needed by the others last, else by name descending."""
        remaining = sorted(self.members[node], reverse=True)
        ordered: list[str] = []
        while remaining:
            free = [m for m in remaining if not any(m in self.inner.get(o, ()) for o in remaining if o != m)]
            pick = free[0] if free else remaining[0]
            ordered.append(pick)
            remaining.remove(pick)
        return ordered


def _find_cycles(graph: _Graph, nodes: set[str]) -> list[list[str]]:
    """One cycle per strongly connected component left over after the sort (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def strongconnect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.needs[v] & nodes):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            components.append(comp)

    for v in sorted(nodes):
        if v not in index:
            strongconnect(v)

    cycles = []
    for comp in components:
        members = set(comp)
        if len(comp) == 1 and comp[0] not in graph.needs[comp[0]]:
            continue
        start = min(comp, key=graph.label)
        path, seen = [start], {start}
        node = start
        while True:  # walk inside the component until it closes on a node already on the path
            nxt = sorted(graph.needs[node] & members)
            back = [n for n in nxt if n in seen]
            if back:
                path = path[path.index(back[0]) :] + [back[0]]
                break
            node = nxt[0]
            path.append(node)
            seen.add(node)
        cycles.append(path)
    return sorted(cycles)


def outage_tiers(
    names, hostvars, direction: str = "shutdown", scope=None, role_categories=None, exclude_categories=()
) -> list[dict]:
    """Tiers of an outage.

    names: every host of the inventory (dependencies are checked against them);
    hostvars: mapping host -> its variables; scope: the hosts that lose power (default all names);
    direction: ``shutdown`` or ``startup``; role_categories: role -> category overrides;
    exclude_categories: tiers left out of the result (e.g. PCs, which staff switch on themselves).
    Returns ``[{tier, category, label, hosts: [ordered host names]}]``, tiers numbered from 1.
    """
    if direction not in ("shutdown", "startup"):
        raise AnsibleFilterError(f"outage order: direction must be shutdown or startup, not {direction!r}")
    names = [str(n) for n in names]
    facts = _host_facts(hostvars, names, role_categories or {})
    _check_references(facts)
    scope_list = names if scope is None else [str(s) for s in scope]
    outside = sorted(set(scope_list) - set(facts))
    if outside:
        raise AnsibleFilterError(
            f"outage order: scope names hosts that are not in the inventory: {', '.join(outside)}"
        )
    graph = _Graph(facts, scope_list)

    # Shutdown: a node may go once every node that needs it has gone.
    waiting_on = {n: 0 for n in graph.members}
    for targets in graph.needs.values():
        for dst in targets:
            waiting_on[dst] += 1
    done: set[str] = set()
    tiers: list[list[str]] = []
    while len(done) < len(graph.members):
        ready = [n for n in graph.members if n not in done and waiting_on[n] == 0]
        if not ready:
            cycles = _find_cycles(graph, set(graph.members) - done)
            text = "\n  ".join(ARROW.join(graph.label(n) for n in c) for c in cycles)
            raise AnsibleFilterError(
                "outage order: dependency cycle in jichitai_depends_on (a → b: a depends on b; "
                f"a+b: a redundant pair, which goes down together):\n  {text}"
            )
        first = min(graph.rank(n) for n in ready)
        tier = sorted((n for n in ready if graph.rank(n) == first), key=lambda n: graph.members[n][0])
        for n in tier:
            done.add(n)
            for dst in graph.needs[n]:
                waiting_on[dst] -= 1
        tiers.append(tier)

    if direction == "startup":
        tiers.reverse()
    result = []
    for nodes in tiers:
        if direction == "shutdown":
            hosts = [h for n in nodes for h in graph.shutdown_members(n)]
        else:
            hosts = [h for n in nodes for h in reversed(graph.shutdown_members(n))]
        category = CATEGORIES[graph.rank(nodes[0])][0]
        result.append({"category": category, "label": CATEGORY_LABEL[category], "hosts": hosts})
    result = [t for t in result if t["category"] not in exclude_categories]
    for i, tier in enumerate(result, start=1):
        tier["tier"] = i
    return result


def _clock(start: datetime, base: datetime) -> str:
    days = (start.date() - base.date()).days
    return start.strftime("%H:%M") + (f"(+{days}日)" if days else "")


def outage_timeline(
    tiers,
    start: str,
    budget_end: str,
    host_minutes: Mapping[str, int],
    stagger: int = 1,
    bulk_categories=("pc", "ups"),
    before: Mapping[str, int] | None = None,
    after: Mapping[str, int] | None = None,
) -> dict:
    """Estimated timeline of an ordered run.

    The hosts of a tier are ordered one after another (``stagger`` minutes apart) and the tier
    ends when the slowest has gone down or come back: a tier takes its category's minutes plus
    the stagger for every further host; a bulk category (PCs, UPSes) takes its minutes once.
    tiers: the result of ``outage_tiers``; start/budget_end: ``HH:MM`` (an end earlier than the
    start is the next day); host_minutes: category -> minutes (``default`` for the rest);
    before/after: named fixed steps (e.g. pre-checks, the branch-site network check) -> minutes.
    Returns ``{start, end, budget_end, total_minutes, budget_minutes, within_budget, steps}``.
    """
    base = datetime.strptime(start, "%H:%M")
    limit = datetime.strptime(budget_end, "%H:%M")
    if limit <= base:
        limit += timedelta(days=1)
    clock = base
    steps = []

    def add(kind: str, name: str, minutes: int, tier: int | None = None, hosts=None) -> None:
        nonlocal clock
        end = clock + timedelta(minutes=int(minutes))
        steps.append(
            {
                "kind": kind,
                "name": name,
                "tier": tier,
                "hosts": hosts or [],
                "minutes": int(minutes),
                "start": _clock(clock, base),
                "end": _clock(end, base),
            }
        )
        clock = end

    for name, minutes in (before or {}).items():
        add("step", name, minutes)
    for tier in tiers:
        minutes = int(host_minutes.get(tier["category"], host_minutes.get("default", 5)))
        if tier["category"] not in bulk_categories:
            minutes += int(stagger) * (len(tier["hosts"]) - 1)
        add("tier", tier["label"], minutes, tier["tier"], tier["hosts"])
    for name, minutes in (after or {}).items():
        add("step", name, minutes)
    total = int((clock - base).total_seconds() // 60)
    budget = int((limit - base).total_seconds() // 60)
    return {
        "start": start,
        "end": _clock(clock, base),
        "budget_end": budget_end,
        "total_minutes": total,
        "budget_minutes": budget,
        "within_budget": total <= budget,
        "steps": steps,
    }


def outage_plan_text(timeline: Mapping, direction: str = "shutdown", max_hosts: int = 12) -> str:
    """The order and estimated timeline as lines of Japanese text for the work plan and the console."""
    tiers = [s for s in timeline["steps"] if s["tier"]]
    hosts = sum(len(s["hosts"]) for s in tiers)
    verdict = "以内" if timeline["within_budget"] else "を超過"
    word = "停止" if direction == "shutdown" else "起動"
    lines = [
        f"{word}順序（インベントリの依存関係から算出、{len(tiers)} 段・{hosts} 台）",
        f"推定 {timeline['start']} 開始 → {timeline['end']} 終了（{timeline['total_minutes']} 分、"
        f"作業枠 {timeline['start']}–{timeline['budget_end']} の {timeline['budget_minutes']} 分{verdict}）",
    ]
    for step in timeline["steps"]:
        text = f"{step['start']}–{step['end']} "
        if step["tier"]:
            names = step["hosts"]
            shown = (
                " → ".join(names)
                if len(names) <= max_hosts
                else f"{', '.join(names[:3])} ほか計 {len(names)} 台"
            )
            text += f"第{step['tier']}段 {step['name']}: {shown}"
        else:
            text += step["name"]
        lines.append(text)
    return "\n".join(lines)


def _word(direction: str) -> str:
    return "停止" if direction == "shutdown" else "起動"


def outage_workplan_targets(tiers, hostvars, direction: str = "shutdown") -> list[dict]:
    """Every host of every tier as a work-plan target (set_stats key ``workplan_targets``).

    The outage is run from the controller, so the plan's own hosts are only ``localhost``: these are
    the hosts it stops or starts, with segment, site and role from the inventory and the tier they go in.
    """
    word = _word(direction)
    targets = []
    for tier in tiers:
        for name in tier["hosts"]:
            hv = hostvars[name]
            targets.append(
                {
                    "name": str(name),
                    "segment": hv.get("jichitai_segment"),
                    "site": hv.get("jichitai_site"),
                    "role": hv.get("jichitai_role"),
                    "os_family": hv.get("jichitai_os_family"),
                    "change": "changed",
                    "note": f"第{tier['tier']}段で{word}（{tier['label']}）",
                }
            )
    return targets


def _minutes_of_day(clock: str) -> int:
    parsed = datetime.strptime(str(clock), "%H:%M")
    return parsed.hour * 60 + parsed.minute


def outage_workplan_timeline(
    timeline: Mapping, direction: str = "shutdown", title: str | None = None, windows=None
) -> dict:
    """The timeline as a chart for the work plan (set_stats key ``workplan_timeline``).

    Offsets are minutes from the timeline's start (``origin``, HH:MM); ``windows`` are the budget
    windows ``[{label, start, end}]`` (HH:MM), by default the timeline's own start to budget end.
    """
    word = _word(direction)
    origin = _minutes_of_day(timeline["start"])

    def offset(clock: str, after: int = 0) -> int:
        value = (_minutes_of_day(clock) - origin) % (24 * 60)
        return value if value >= after else value + 24 * 60

    if windows is None:
        windows = [{"label": f"{word}の作業枠", "start": timeline["start"], "end": timeline["budget_end"]}]
    drawn_windows = []
    for window in windows:
        start = offset(window["start"])
        drawn_windows.append(
            {
                "label": str(window.get("label") or "作業枠"),
                "start": str(window["start"]),
                "end": str(window["end"]),
                "start_offset": start,
                "end_offset": offset(window["end"], start + 1),
            }
        )
    bars, clock = [], 0
    for step in timeline["steps"]:
        if step["tier"]:
            label = f"第{step['tier']}段 {step['name']}（{len(step['hosts']):,}台）"
        else:
            label = str(step["name"])
        bars.append(
            {
                "label": label,
                "kind": "tier" if step["tier"] else "step",
                "tier": step["tier"],
                "hosts": len(step["hosts"]),
                "start": step["start"],
                "end": step["end"],
                "minutes": int(step["minutes"]),
                "start_offset": clock,
                "end_offset": clock + int(step["minutes"]),
            }
        )
        clock += int(step["minutes"])
    tiers = [b for b in bars if b["kind"] == "tier"]
    return {
        "kind": "gantt",
        "title": title or f"{word}の工程（{len(tiers)} 段・{sum(b['hosts'] for b in tiers):,} 台）",
        "direction": direction,
        "origin": timeline["start"],
        "total_minutes": int(timeline["total_minutes"]),
        "within_budget": bool(timeline["within_budget"]),
        "windows": drawn_windows,
        "bars": bars,
    }


def outage_select(names, hostvars, var: str, values=None) -> list[str]:
    """The names whose variable VAR is set (and, given VALUES, is one of them)."""
    if isinstance(values, str):
        values = [values]
    picked = []
    for name in names:
        value = hostvars[name].get(var)
        if value in (None, "") or (values is not None and value not in values):
            continue
        picked.append(str(name))
    return picked


class FilterModule:
    """Outage ordering filters."""

    def filters(self):
        return {
            "outage_tiers": outage_tiers,
            "outage_timeline": outage_timeline,
            "outage_plan_text": outage_plan_text,
            "outage_select": outage_select,
            "outage_workplan_targets": outage_workplan_targets,
            "outage_workplan_timeline": outage_workplan_timeline,
        }
