# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The approval decision per update and ring, and the changes against the current approvals.

For each update, in this order (the first that applies decides, with its reason in Japanese):
already declined in WSUS → nothing to do; KB on the deny list → never approved (an existing approval
is withdrawn); a Microsoft 365 Apps product while office.via_wsus is false → not via WSUS; superseded
(decline_superseded, unless the KB is on the allow list) → declined once for the whole server;
classification or product outside the policy (unless allowed) → not applicable; then per ring: no
computer of the ring's groups needs or has it → not applicable; failures in the pilot ring → later
rings hold; within the ring's deferral days of its release (or arrival) → wait until that day;
else → approve. An approval already in place is no change.
"""

from __future__ import annotations

from datetime import timedelta

from .policy import RING_JA

DECISIONS = ("approve", "decline", "wait", "hold", "not_applicable")
DECISION_JA = {
    "approve": "承認",
    "decline": "拒否",
    "wait": "猶予中",
    "hold": "保留",
    "not_applicable": "対象外",
}
ACTION_JA = {"approve": "承認", "decline": "拒否", "unapprove": "承認取消"}


def _needed(group: dict) -> int:
    return group["NotInstalledCount"] + group["DownloadedCount"] + group["FailedCount"]


def _has_it(group: dict) -> int:
    return group["InstalledCount"] + group["InstalledPendingRebootCount"]


def _update_rule(update: dict, policy: dict, allowed: bool, denied: bool, kb_of: dict):
    """(decision, reason) that holds for every ring, or None when the rings decide one by one."""
    if update["declined"]:
        return "not_applicable", "WSUS で拒否済み"
    if denied:
        return "hold", "拒否リスト（deny_kbs）の KB のため承認しない"
    office = policy["office"]
    if not office["via_wsus"] and set(update["products"]) & set(office["products"]):
        return "not_applicable", f"Microsoft 365 Apps の更新は WSUS では配信しない（{office['channel']}）"
    if update["superseded"] and policy["decline_superseded"] and not allowed:
        by = "、".join(kb_of.get(i.lower(), i) for i in update["superseded_by"][:3]) or "WSUS 上の後継"
        return "decline", f"後継の更新プログラム（{by}）に置き換えられたため拒否"
    if not allowed and update["classification"] not in policy["classifications"]:
        return "not_applicable", f"分類「{update['classification']}」は承認対象外"
    if not allowed and not set(update["products"]) & set(policy["products"]):
        return "not_applicable", f"製品「{'、'.join(update['products'])}」は承認対象外"
    return None


def _ring_rule(update, ring, base, as_of, pilot_failed, policy, allowed):
    groups = [update["groups"][g] for g in ring["target_groups"] if g in update["groups"]]
    reported = [g for g in groups if g["reported"]]
    every_group_reported = bool(reported) and len(reported) == len(ring["target_groups"])
    if every_group_reported and not any(_needed(g) or _has_it(g) for g in reported):
        return "not_applicable", "該当する端末なし（対象グループの全台が対象外）", None
    if ring["id"] != "pilot" and policy["hold_on_pilot_failures"] and pilot_failed:
        return "hold", f"先行適用で {pilot_failed} 台が失敗しているため保留", None
    days = ring["deferral_days"]
    eligible = base + timedelta(days=days)
    basis = "公開" if policy["deferral_basis"] == "release" else "WSUS 到着"
    extra = "（許可リスト）" if allowed else ""
    if as_of < base:
        return (
            "wait",
            f"{basis}日 {base.isoformat()} が基準日より後（{eligible.isoformat()} 以降に承認）",
            eligible,
        )
    if as_of < eligible:
        return (
            "wait",
            f"{basis} {base.isoformat()} から {days} 日の猶予中（{eligible.isoformat()} 以降に承認）",
            eligible,
        )
    return (
        "approve",
        f"{basis} {base.isoformat()} から {(as_of - base).days} 日経過（猶予 {days} 日）{extra}",
        None,
    )


def decide(updates: list, policy: dict, as_of) -> dict:
    """Decisions, changes and summary for UPDATES (catalogue.parse) under POLICY (policy.validate) on
    the day AS_OF. An allow-listed KB missing from the catalogue is a problem, not a decision."""
    present = {kb for u in updates for kb in u["kbs"]}
    problems = [
        f"allow_kbs の {kb} がカタログにありません（WSUS に同期されているか、KB 番号を確かめてください）"
        for kb in policy["allow_kbs"]
        if kb not in present
    ]
    if problems:
        return {"problems": problems, "decisions": [], "changes": [], "summary": {}}
    allow, deny = set(policy["allow_kbs"]), set(policy["deny_kbs"])
    decisions, changes = [], []
    counts = {ring["id"]: dict.fromkeys(DECISIONS, 0) for ring in policy["rings"]}
    pilot = policy["rings"][0]
    kb_of = {u["update_id"]: "、".join(u["kbs"]) or u["title"] for u in updates}
    for update in updates:
        allowed = bool(allow & set(update["kbs"]))
        denied = bool(deny & set(update["kbs"]))
        rule = _update_rule(update, policy, allowed, denied, kb_of)
        base = (
            update["release_date"]
            if policy["deferral_basis"] == "release"
            else (update["arrival_date"] or update["release_date"])
        )
        pilot_failed = sum(
            update["groups"][g]["FailedCount"] for g in pilot["target_groups"] if g in update["groups"]
        )
        kb = "、".join(update["kbs"]) or "—"
        rings = []
        for ring in policy["rings"]:
            decision, reason, until = (
                (*rule, None)
                if rule
                else _ring_rule(update, ring, base, as_of, pilot_failed, policy, allowed)
            )
            counts[ring["id"]][decision] += 1
            current = {
                g: update["groups"].get(g, {}).get("approval", "NotApproved") for g in ring["target_groups"]
            }
            entry = {
                "ring": ring["id"],
                "ring_ja": ring["name_ja"] or RING_JA[ring["id"]],
                "decision": decision,
                "decision_ja": DECISION_JA[decision],
                "reason_ja": reason,
                "until": until.isoformat() if until else None,
                "current": current,
            }
            rings.append(entry)
            for group, approval in current.items():
                action = None
                if decision == "approve" and approval != "Install":
                    action = "approve"
                elif denied and approval == "Install":
                    action, reason = "unapprove", "拒否リスト（deny_kbs）の KB のため承認を取り消す"
                if action:
                    changes.append(
                        {
                            "update_id": update["update_id"],
                            "kb": kb,
                            "title": update["title"],
                            "action": action,
                            "action_ja": ACTION_JA[action],
                            "target_group": group,
                            "ring": ring["id"],
                            "ring_ja": entry["ring_ja"],
                            "reason_ja": reason,
                            "before": approval,
                            "after": "Install" if action == "approve" else "NotApproved",
                        }
                    )
        if rule and rule[0] == "decline":
            changes.append(
                {
                    "update_id": update["update_id"],
                    "kb": kb,
                    "title": update["title"],
                    "action": "decline",
                    "action_ja": ACTION_JA["decline"],
                    "target_group": None,
                    "ring": None,
                    "ring_ja": "全グループ",
                    "reason_ja": rule[1],
                    "before": "NotDeclined",
                    "after": "Declined",
                }
            )
        decisions.append(
            {
                "update_id": update["update_id"],
                "kb": kb,
                "title": update["title"],
                "classification": update["classification"],
                "products": update["products"],
                "release_date": update["release_date"].isoformat(),
                "superseded": update["superseded"],
                "rings": rings,
            }
        )
    summary = {
        "as_of": as_of.isoformat(),
        "updates": len(updates),
        "rings": counts,
        "changes": {action: sum(1 for c in changes if c["action"] == action) for action in ACTION_JA},
    }
    return {"problems": [], "decisions": decisions, "changes": changes, "summary": summary}
