"""The plan store and the approval record: who approved which digest, and every refusal."""

import json
import subprocess
from pathlib import Path

import pytest

from jichitai_ops.workplan import model as model
from jichitai_ops.workplan import signature
from jichitai_ops.workplan import store as store

PLAN_ID = "20261201T100000-0a1b2c3d"
BLOCK = {"severity": "block", "rule": "resident_counter_sundays", "ja": "総合窓口課 の時間外業務と重なります"}


def plan(**changes):
    data = {
        "id": PLAN_ID,
        "mode": "plan",
        "title": "t",
        "summary": {"incomplete": False},
        "window": {"start": "2026-12-16T22:00:00+09:00", "end": "2026-12-16T23:30:00+09:00", "minutes": 90},
        "calendar": {"findings": [], "blocked": False},
        "flags": [],
        "lead_time": {"ok": True},
    }
    data.update(changes)
    return data


@pytest.fixture
def plans(tmp_path):
    return str(tmp_path / "plans")


@pytest.fixture(scope="module")
def sign(tmp_path_factory):
    """approve() keyword arguments of a signing approver: a real key and its allowed_signers line."""
    folder = tmp_path_factory.mktemp("approvers")
    lines = []
    for principal, name in (("moriguchi.taro", "守口 太郎"), ("dainichi.hanako", "大日 花子")):
        key = folder / principal
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        public = " ".join(Path(f"{key}.pub").read_text().split()[:2])
        lines.append(f'{principal} namespaces="{signature.NAMESPACE}" {public} {name}\n')
    (folder / "allowed_signers").write_text("".join(lines))

    def kwargs(principal="moriguchi.taro"):
        return {"key_file": str(folder / principal), "signers_path": str(folder / "allowed_signers")}

    return kwargs


def codes(exc):
    return [r["code"] for r in exc.value.reasons]


def test_store_location_follows_the_environment(tmp_path):
    assert store.store_dir("/repo", {}) == "/repo/work/plans"
    assert store.store_dir("/repo", {"JICHITAI_WORKPLAN_DIR": str(tmp_path)}) == str(tmp_path)


def test_plan_digest_recorded_and_recomputed(plans):
    digest = store.write_plan(plans, plan())
    loaded, recorded, actual = store.load_plan(plans, PLAN_ID)
    assert recorded == actual == digest == model.digest(plan())
    assert Path(plans, PLAN_ID, "plan.sha256").read_text() == f"{digest}  plan.json\n"


def test_approval_records_approver_time_and_digest(plans, sign):
    digest = store.write_plan(plans, plan())
    approval = store.approve(plans, PLAN_ID, " moriguchi.taro ", expected_digest=f"sha256:{digest}", **sign())
    saved = json.loads(Path(plans, PLAN_ID, "approval.json").read_text())
    assert saved == approval
    assert approval["approver"] == "守口 太郎" and approval["plan_digest"] == digest
    assert approval["approver_id"] == "moriguchi.taro" and approval["source"] == "signature"
    assert signature.verify(approval, sign()["signers_path"]) == []
    assert approval["approved_at"].endswith("+09:00") and approval["override_calendar"] is False
    assert approval["recorded_by"]["tool"] == "cli"


def test_approval_refused_when_plan_json_was_altered(plans, sign):
    store.write_plan(plans, plan())
    path = Path(plans, PLAN_ID, "plan.json")
    path.write_text(path.read_text().replace("23:30", "23:59"))
    with pytest.raises(model.WorkplanError) as exc:
        store.approve(plans, PLAN_ID, "moriguchi.taro", **sign())
    assert codes(exc) == ["plan_digest"]
    assert not Path(plans, PLAN_ID, "approval.json").exists()


def test_approval_refused_for_another_digest(plans, sign):
    store.write_plan(plans, plan())
    with pytest.raises(model.WorkplanError) as exc:
        store.approve(plans, PLAN_ID, "moriguchi.taro", expected_digest="0" * 64, **sign())
    assert codes(exc) == ["expected_digest"]


def test_approval_refuses_every_problem_at_once(plans, sign):
    store.write_plan(
        plans,
        plan(
            summary={"incomplete": True},
            window={"start": None, "end": None},
            flags=[{"code": "input_missing", "severity": "block", "ja": "入力ファイルがありません: x"}],
        ),
    )
    with pytest.raises(model.WorkplanError) as exc:
        store.approve(plans, PLAN_ID, "", **sign())
    assert codes(exc) == ["no_approver", "incomplete", "no_window", "flag_input_missing"]


def test_calendar_conflict_needs_an_override_with_a_reason(plans, sign):
    store.write_plan(plans, plan(calendar={"findings": [BLOCK], "blocked": True}))
    with pytest.raises(model.WorkplanError) as exc:
        store.approve(plans, PLAN_ID, "moriguchi.taro", **sign())
    assert codes(exc) == ["calendar"] and "--override-calendar" in str(exc.value)
    with pytest.raises(model.WorkplanError) as exc:
        store.approve(plans, PLAN_ID, "moriguchi.taro", override_calendar=True, **sign())
    assert codes(exc) == ["override_reason"]
    approval = store.approve(
        plans, PLAN_ID, "moriguchi.taro", override_calendar=True, override_reason="市の依頼", **sign()
    )
    assert approval["override_calendar"] and approval["overridden_findings"] == [BLOCK]


def test_second_approval_of_the_same_digest_is_refused(plans, sign):
    store.write_plan(plans, plan())
    store.approve(plans, PLAN_ID, "moriguchi.taro", **sign())
    with pytest.raises(model.WorkplanError) as exc:
        store.approve(plans, PLAN_ID, "dainichi.hanako", **sign("dainichi.hanako"))
    assert codes(exc) == ["already_approved"]


def test_an_unsigned_approval_cannot_be_recorded(plans):
    store.write_plan(plans, plan())
    with pytest.raises(model.WorkplanError) as exc:
        store.approve(plans, PLAN_ID, "moriguchi.taro")
    assert codes(exc) == ["unsigned_approval"]
    assert not Path(plans, PLAN_ID, "approval.json").exists()


def test_an_approver_signs_with_their_own_key_only(plans, sign):
    store.write_plan(plans, plan())
    with pytest.raises(model.WorkplanError) as exc:
        store.approve(plans, PLAN_ID, "moriguchi.taro", **sign("dainichi.hanako"))
    assert codes(exc) == ["bad_signature"]
    with pytest.raises(model.WorkplanError) as exc:
        store.approve(plans, PLAN_ID, "kyoto.jiro", **sign())
    assert codes(exc) == ["unknown_approver"]
    assert not Path(plans, PLAN_ID, "approval.json").exists()


def test_missing_plan_and_bad_id(plans, sign):
    with pytest.raises(model.WorkplanError) as exc:
        store.approve(plans, PLAN_ID, "moriguchi.taro", **sign())
    assert codes(exc) == ["no_plan"]
    with pytest.raises(model.WorkplanError):
        store.plan_dir(plans, "../../etc")


def test_attempts_are_appended(plans):
    store.append_attempt(plans, PLAN_ID, {"refused": True, "reasons": [{"code": "no_approval"}]})
    store.append_attempt(plans, PLAN_ID, {"refused": False})
    assert [a["refused"] for a in store.attempts(plans, PLAN_ID)] == [True, False]
    assert store.list_plans(plans) == [PLAN_ID]
