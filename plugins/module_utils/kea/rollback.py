# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Change the peers of a Kea pair one at a time, roll back on failure, and keep the truth about each.

``change_one_at_a_time`` sends each peer its new configuration (config-set, config-write, wait until
its HA service serves again) and, when a step fails, puts every peer it had changed back to its
previous configuration. It records what really happened, so a failure is never reported as rolled
back unless the peer accepted its previous configuration again:

============================  ==================================================================
state (after the run)         meaning
============================  ==================================================================
``changed``                   holds the new configuration (the run succeeded for this peer)
``rolled_back``               was changed, then accepted its previous configuration again
                              (config-set and config-write of the previous configuration)
``not_rolled_back``           was changed and the rollback failed: it holds the new configuration
                              (``written``: its saved configuration is the new one too, so it
                              comes back with it after a restart)
``untouched``                 never sent a config-set that took effect
``unreachable``               cannot be reached, and what it holds is unknown (a config-set whose
                              answer never came), or it was unreachable before the run
============================  ==================================================================

Pure Python over a client with ``config_set``, ``config_write`` and ``wait_serving`` (KeaClient, or
a fake in the unit tests). ``before_write(peer)`` runs before each peer is written to, ``record(action,
peer, ok, error)`` after each config-set, config-write and rollback step: the module's change journal.
An exception of a type in ``stop`` raised by ``before_write`` (the controller process is gone) stops
everything at once, rollback included: the peers already changed are ``not_rolled_back`` and
``Outcome.stopped`` is set.
"""

from ansible.module_utils.kea.client import KeaError, KeaUnreachable

CHANGED = "changed"
ROLLED_BACK = "rolled_back"
NOT_ROLLED_BACK = "not_rolled_back"
UNTOUCHED = "untouched"
UNREACHABLE = "unreachable"
STATES = (CHANGED, ROLLED_BACK, NOT_ROLLED_BACK, UNTOUCHED, UNREACHABLE)

# Japanese / English words for each state, as the messages of the module use them
STATE_WORDS = {
    CHANGED: ("新しい設定に変更済み", "changed: holds the new configuration"),
    ROLLED_BACK: ("変更後に元の設定へ切り戻し済み", "changed and rolled back to its previous configuration"),
    NOT_ROLLED_BACK: (
        "変更済み・切り戻し失敗（新しい設定のまま）",
        "changed and NOT rolled back: holds the new configuration",
    ),
    UNTOUCHED: ("未変更", "not touched"),
    UNREACHABLE: ("接続できず状態不明", "unreachable: what it holds is not known"),
}


def _noop(*_args, **_kwargs):
    return None


class Outcome:
    """What a change of the pair did to each peer."""

    def __init__(self, order):
        self.order = list(order)
        self.peers = {
            name: {"state": UNTOUCHED, "config_set": False, "written": False, "reachable": True,
                   "ha_state": None, "error": None}
            for name in self.order
        }  # fmt: skip
        self.rollback = []  # [{peer, ok, error}], one per peer a rollback was tried on
        self.failed_peer = None
        self.error = None
        self.stopped = False  # before_write said stop: no further change, no rollback

    @property
    def ok(self):
        return self.error is None

    @property
    def changed(self):
        """Whether any peer took a configuration from this run (even one rolled back since)."""
        return any(p["config_set"] for p in self.peers.values())

    def names(self, *states):
        return [n for n in self.order if self.peers[n]["state"] in states]

    @property
    def peers_differ(self):
        """True when the run may have left the peers with different configurations."""
        return bool(self.names(NOT_ROLLED_BACK, UNREACHABLE))


def change_one_at_a_time(clients, order, new_configs, old_configs, ha_wait_timeout,
                         before_write=_noop, record=_noop, stop=()):
    """Change the peers in order; on the first failure roll back every peer already changed.

    clients: {name: client}; new_configs / old_configs: {name: {"Dhcp4": ...}} (old: what config-get
    returned before the run). Returns an Outcome; never raises KeaError.
    """
    outcome = Outcome(order)
    touched = []  # peers a config-set was sent to and may have taken effect
    for name in order:
        client, peer = clients[name], outcome.peers[name]
        step = "config-set"
        try:
            before_write(name)
        except stop as exc:
            return _stopped(outcome, touched, name, exc)
        try:
            try:
                client.config_set(new_configs[name])
            except KeaUnreachable:
                # the answer never came: the new configuration may have taken effect
                touched.append(name)
                peer["state"] = UNREACHABLE
                raise
            touched.append(name)
            peer["config_set"] = True
            peer["state"] = CHANGED
            record("config-set", name, True, None)
            step = "config-write"
            client.config_write()
            peer["written"] = True
            record("config-write", name, True, None)
            step = "wait-serving"
            peer["ha_state"] = client.wait_serving(ha_wait_timeout)
        except KeaError as exc:
            peer["error"] = str(exc)
            peer["reachable"] = not isinstance(exc, KeaUnreachable)
            if step != "wait-serving":
                record(step, name, False, str(exc))
            outcome.failed_peer, outcome.error = name, exc
            _roll_back(clients, outcome, touched, old_configs, before_write, record, stop)
            return outcome
    return outcome


def _stopped(outcome, touched, name, exc):
    """before_write said stop: nothing more is sent to any peer, not even a rollback."""
    outcome.stopped = True
    in_rollback = outcome.error is not None
    if not in_rollback:
        outcome.failed_peer, outcome.error = name, exc
    tried = {r["peer"] for r in outcome.rollback}
    for other in reversed(touched):
        if other in tried:
            continue
        peer = outcome.peers[other]
        peer["state"] = NOT_ROLLED_BACK if peer["config_set"] else UNREACHABLE
        if in_rollback:
            outcome.rollback.append({"peer": other, "ok": False, "error": f"not attempted: {exc}"})
    return outcome


def _roll_back(clients, outcome, touched, old_configs, before_write, record, stop=()):
    """Put every touched peer back to its previous configuration, the last changed first."""
    for name in reversed(touched):
        peer, client = outcome.peers[name], clients[name]
        step = "rollback config-set"
        try:
            before_write(name)
        except stop as exc:
            return _stopped(outcome, touched, name, exc)
        try:
            client.config_set(old_configs[name])
            record(step, name, True, None)
            step = "rollback config-write"
            client.config_write()
            record(step, name, True, None)
        except KeaError as exc:
            record(step, name, False, str(exc))
            if isinstance(exc, KeaUnreachable):
                peer["reachable"] = False
            if step == "rollback config-write" and not peer["written"]:
                # the previous configuration runs again and is still the saved one: rolled back
                outcome.rollback.append({"peer": name, "ok": True, "error": None})
                peer["state"] = ROLLED_BACK
                continue
            if step == "rollback config-write":
                error = (f"{exc} (the previous configuration runs again but is not saved: "
                         "a restart brings the new configuration back)")
            else:
                error = str(exc)
            outcome.rollback.append({"peer": name, "ok": False, "error": error})
            peer["state"] = NOT_ROLLED_BACK if peer["config_set"] else UNREACHABLE
            continue
        outcome.rollback.append({"peer": name, "ok": True, "error": None})
        peer["state"] = ROLLED_BACK
        peer["reachable"] = True
    return outcome


def describe(peers, words=1):
    """'dhcp01: <state words>; dhcp02: ...' in Japanese (words=0) or English (words=1).

    peers: {name: {state, written}} in the pair's order (Outcome.peers, or the module's peer list).
    """
    parts = []
    for name, peer in peers.items():
        text = STATE_WORDS[peer["state"]][words]
        if peer["state"] == NOT_ROLLED_BACK:
            if words:
                text += (", saved too: it comes back with it after a restart" if peer["written"]
                         else ", not saved: a restart brings the previous one back")
            else:
                saved = peer["written"]
                text += "・保存済み（再起動後も新しい設定）" if saved else "・未保存（再起動で元の設定）"
        parts.append(f"{name}: {text}")
    return "; ".join(parts) if words else "、".join(parts)
