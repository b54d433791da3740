"""The one table `python -m bench` prints at the end: per figure, ours beside its anchor and its floor.

A benchmark adds its rows with `row(...)` while it runs; `python -m bench` prints every row of the
benchmarks it ran, in the order they were added, then the table (plain text, one line per figure):

    figure                     ours  anchor  floor  ours/anchor  ours/floor  goal
    personnel: apply         14.2 s   412 s  8.1 s        0.03x       1.75x  <= 2x floor ok

- ours: the project's way, measured in this run;
- anchor: what the figure is usually compared with (the naive way, Ansible's own, the tool people know);
- floor: the least the same work can cost on this machine (a raw client doing the same requests over
  one connection, Ansible's bare start-up), measured in the same run;
- goal: `max_floor` (ours at most that many times the floor), `max_anchor` (times the anchor) or
  `max_seconds`; "ok" or "MISSED". A row without a goal says "-".

Timings are never pass/fail tests: the table reports, the exit code stays the benchmark's own.
"""

from __future__ import annotations

ROWS: list[dict] = []


def row(
    bench: str,
    figure: str,
    ours: float,
    *,
    anchor: float | None = None,
    anchor_name: str = "",
    floor: float | None = None,
    floor_name: str = "",
    unit: str = "s",
    max_floor: float | None = None,
    max_anchor: float | None = None,
    max_seconds: float | None = None,
) -> dict:
    """Add one figure of BENCH to the table (and return it)."""
    entry = {
        "bench": bench,
        "figure": figure,
        "ours": ours,
        "anchor": anchor,
        "anchor_name": anchor_name,
        "floor": floor,
        "floor_name": floor_name,
        "unit": unit,
        "max_floor": max_floor,
        "max_anchor": max_anchor,
        "max_seconds": max_seconds,
    }
    ROWS.append(entry)
    return entry


def _num(value, unit):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f} {unit}"
    if value >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def _ratio(a, b):
    if a is None or not b:
        return None
    return a / b


def _goal(entry) -> str:
    ours = entry["ours"]
    checks = []
    if entry["max_floor"] is not None:
        ratio = _ratio(ours, entry["floor"])
        ok = ratio is not None and ratio <= entry["max_floor"]
        checks.append((f"<= {entry['max_floor']:g}x floor", ok))
    if entry["max_anchor"] is not None:
        ratio = _ratio(ours, entry["anchor"])
        ok = ratio is not None and ratio <= entry["max_anchor"]
        checks.append((f"<= {entry['max_anchor']:g}x anchor", ok))
    if entry["max_seconds"] is not None:
        checks.append((f"<= {entry['max_seconds']:g} {entry['unit']}", ours <= entry["max_seconds"]))
    if not checks:
        return "-"
    return ", ".join(f"{text} {'ok' if ok else 'MISSED'}" for text, ok in checks)


def lines(rows: list[dict] | None = None) -> list[str]:
    """The table as text lines, with a legend of what each anchor and floor is."""
    rows = ROWS if rows is None else rows
    if not rows:
        return []
    head = ("figure", "ours", "anchor", "floor", "ours/anchor", "ours/floor", "goal")
    body = []
    for entry in rows:
        ra, rf = _ratio(entry["ours"], entry["anchor"]), _ratio(entry["ours"], entry["floor"])
        body.append(
            (
                f"{entry['bench']}: {entry['figure']}",
                _num(entry["ours"], entry["unit"]),
                _num(entry["anchor"], entry["unit"]),
                _num(entry["floor"], entry["unit"]),
                f"{ra:.2f}x" if ra is not None else "-",
                f"{rf:.2f}x" if rf is not None else "-",
                _goal(entry),
            )
        )
    widths = [max(len(r[i]) for r in (head, *body)) for i in range(len(head))]

    def fmt(cells):
        first = cells[0].ljust(widths[0])
        rest = [cells[i].rjust(widths[i]) for i in range(1, 6)]
        return "  ".join([first, *rest, cells[6]]).rstrip()

    out = [fmt(head), fmt(tuple("-" * w for w in widths))]
    out += [fmt(cells) for cells in body]
    legend = []
    for entry in rows:
        for kind in ("anchor", "floor"):
            if entry[f"{kind}_name"]:
                legend.append(f"  {entry['bench']}: {entry['figure']} - {kind}: {entry[f'{kind}_name']}")
    if legend:
        out += ["", "anchors and floors:", *legend]
    return out
