# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The order in which updates are rolled out, as waves of hosts (REQUIREMENTS MNT-PATCH, §2-2(6)).

Servers: ring by ring (pilot, then the rest), and inside a ring in the startup order of the planned
outage (``outage_tiers`` with direction ``startup``: what others depend on first), so that a fault
in a foundation stops the run before anything that needs it is touched. The members of a redundant
pair (``jichitai_pair``) are never in the same wave: the first member of every pair of a tier goes
with the tier's other hosts, the second in the next wave, and so on, so a node is only touched once
its partner has come back through its health gate.

Clients: a pilot ring (hosts marked ``pilot``, else a percentage taken from every site in turn),
then the rest site by site.

A plan is ``{hosts: [in order], batches: [wave sizes], waves: [{wave, ring, label, hosts}],
partners: {host: [the other members of its pair]}}``: ``hosts`` and ``batches`` are what a play's
``serial`` list needs to run exactly these waves.
"""

from __future__ import annotations

import math

RING_LABEL_JA = {"pilot": "先行適用", "servers": "サーバ", "clients": "端末"}


class WavePlanError(Exception):
    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _ring_of(name, hostvars, ring_var, default_ring, rings, problems):
    ring = (hostvars.get(name) or {}).get(ring_var) or default_ring
    if ring not in rings:
        problems.append(f"{name}: {ring_var} は {'/'.join(rings)} のいずれかにしてください（{ring!r}）")
    return ring


def _pair_key(name, hostvars):
    hv = hostvars.get(name) or {}
    pair = hv.get("jichitai_pair")
    return (str(pair), str(hv.get("jichitai_segment"))) if pair else None


def _chunks(hosts, size):
    return [hosts[i : i + size] for i in range(0, len(hosts), size)] if hosts else []


def _plan(waves):
    waves = [w for w in waves if w["hosts"]]
    for number, wave in enumerate(waves, start=1):
        wave["wave"] = number
        wave["line_ja"] = f"第{number}波 [{wave['ring_ja']}] {wave['label']}: {', '.join(wave['hosts'])}"
    return {
        "hosts": [h for w in waves for h in w["hosts"]],
        "batches": [len(w["hosts"]) for w in waves],
        "waves": waves,
    }


def server_waves(tiers, hostvars, rings=("pilot", "servers"), ring_var="jichitai_patch_ring",
                 default_ring="servers", max_wave=5):  # fmt: skip
    """Waves of servers from the outage's startup tiers ([{tier, label, hosts}])."""
    if not isinstance(max_wave, int) or max_wave < 1:
        raise WavePlanError([f"max_wave は 1 以上の整数にしてください（{max_wave!r}）"])
    problems: list[str] = []
    ring_of = {
        h: _ring_of(h, hostvars, ring_var, default_ring, rings, problems) for t in tiers for h in t["hosts"]
    }
    if problems:
        raise WavePlanError(problems)
    members: dict[tuple, list[str]] = {}
    for tier in tiers:
        for host in tier["hosts"]:
            key = _pair_key(host, hostvars)
            if key:
                members.setdefault(key, []).append(host)
    waves = []
    for ring in rings:
        for tier in tiers:
            hosts = [h for h in tier["hosts"] if ring_of[h] == ring]
            rounds: list[list[str]] = [[]]
            seen: dict[tuple, int] = {}
            for host in hosts:
                key = _pair_key(host, hostvars)
                index = seen.get(key, 0) if key else 0
                if key:
                    seen[key] = index + 1
                while len(rounds) <= index:
                    rounds.append([])
                rounds[index].append(host)
            for group in rounds:
                for chunk in _chunks(group, max_wave):
                    waves.append(
                        {
                            "ring": ring,
                            "ring_ja": RING_LABEL_JA.get(ring, ring),
                            "label": tier["label"],
                            "hosts": chunk,
                        }  # fmt: skip
                    )
    plan = _plan(waves)
    plan["partners"] = {
        h: [m for m in group if m != h] for group in members.values() if len(group) > 1 for h in group
    }
    return plan


def client_waves(hosts, hostvars, pilot_percent=5, max_wave=100, ring_var="jichitai_patch_ring",
                 site_var="jichitai_site"):  # fmt: skip
    """Waves of PCs: the pilot ring, then site by site (each site split into waves of max_wave)."""
    problems = []
    if not isinstance(pilot_percent, (int, float)) or not 0 <= pilot_percent <= 100:
        problems.append(f"pilot_percent は 0〜100 にしてください（{pilot_percent!r}）")
    if not isinstance(max_wave, int) or max_wave < 1:
        problems.append(f"max_wave は 1 以上の整数にしてください（{max_wave!r}）")
    if problems:
        raise WavePlanError(problems)
    by_site: dict[str, list[str]] = {}
    for host in sorted(str(h) for h in hosts):
        by_site.setdefault(str((hostvars.get(host) or {}).get(site_var) or "-"), []).append(host)
    marked = [
        h for hosts_ in by_site.values() for h in hosts_ if (hostvars.get(h) or {}).get(ring_var) == "pilot"
    ]
    if marked:
        pilot = marked
    else:
        want = math.ceil(len(hosts) * pilot_percent / 100)
        pilot, turn = [], 0
        while len(pilot) < want:  # one from each site in turn, so every site has a pilot PC early
            for site in sorted(by_site):
                if turn < len(by_site[site]) and len(pilot) < want:
                    pilot.append(by_site[site][turn])
            turn += 1
    pilot_set = set(pilot)
    waves = [{"ring": "pilot", "ring_ja": RING_LABEL_JA["pilot"], "label": "先行適用端末", "hosts": c}
             for c in _chunks(sorted(pilot), max_wave)]  # fmt: skip
    for site in sorted(by_site):
        rest = [h for h in by_site[site] if h not in pilot_set]
        waves += [{"ring": "clients", "ring_ja": RING_LABEL_JA["clients"], "label": site, "hosts": c}
                  for c in _chunks(rest, max_wave)]  # fmt: skip
    plan = _plan(waves)
    plan["partners"] = {}
    return plan
