"""The engineer's CLI without running Ansible: exit codes, the digest an approver copies, and apply
reporting only the report its own run wrote."""

import argparse
import json
import types

import pytest

from jichitai_ops import cli
from jichitai_ops.workplan import store as store_mod

PLAN_ID = "20261201T100000-0000beef"
HEX = "ab" * 32


@pytest.mark.parametrize(
    "given",
    [HEX, HEX.upper(), f"sha256:{HEX}", f"SHA256:{HEX.upper()}", f"{HEX}  plan.json", f"  {HEX}\n"],
)
def test_digest_is_normalised_as_the_approver_copies_it(given):
    assert cli.digest_arg(given) == HEX


@pytest.mark.parametrize("given", ["", "sha256:", HEX[:-1], HEX + "0", "zz" * 32, f"md5:{HEX}"])
def test_a_malformed_digest_is_a_usage_error(given, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["approve", PLAN_ID, "--by", "moriguchi.taro", "--key", "k", "--digest", given])
    assert exc.value.code == cli.EXIT_USAGE
    assert "--digest" in capsys.readouterr().err


def test_the_digest_is_required(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["approve", PLAN_ID, "--by", "moriguchi.taro", "--key", "k"])
    assert exc.value.code == cli.EXIT_USAGE


def test_exit_codes_are_distinct():
    names = ["OK", "ERROR", "USAGE", "REFUSED", "NOT_FOUND", "REVIEW"]
    codes = [getattr(cli, f"EXIT_{name}") for name in names]
    assert len(set(codes)) == len(codes) and cli.EXIT_USAGE == 2  # argparse's own usage code


def test_an_unknown_plan_is_not_found(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JICHITAI_WORKPLAN_DIR", str(tmp_path))
    assert cli.main(["show", PLAN_ID]) == cli.EXIT_NOT_FOUND
    assert cli.main(["show", "not-a-plan"]) == cli.EXIT_NOT_FOUND
    signer = ["--by", "moriguchi.taro", "--key", str(tmp_path / "key")]
    assert cli.main(["approve", PLAN_ID, *signer, "--digest", HEX]) == cli.EXIT_NOT_FOUND
    assert "not found" in capsys.readouterr().err


def test_every_option_has_help():
    def actions(parser):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    yield from actions(sub)
            elif action.dest != "help":
                yield parser.prog, action

    missing = [f"{prog} {a.dest}" for prog, a in actions(cli.parser()) if not a.help]
    assert missing == []


def test_apply_reports_only_the_report_its_own_run_wrote(tmp_path, monkeypatch, capsys):
    """An earlier run's verdict must never be printed for a run that died before writing its report."""
    monkeypatch.setenv("JICHITAI_WORKPLAN_DIR", str(tmp_path))
    folder = tmp_path / PLAN_ID
    (folder / "reports" / "20261216T221000").mkdir(parents=True)
    old = {"verdict": "ok", "verdict_ja": "計画どおり完了", "counts": {"unplanned": 0}}
    (folder / "reports" / "20261216T221000" / "report.json").write_text(json.dumps(old))
    plan = {"playbook": "playbooks/site.yml", "clause": "§6-3(6) OPS-BACKUP", "run": {},
            "basis": {"run_options": {"extra_vars": {}}}}
    monkeypatch.setattr(store_mod, "load_plan", lambda store, plan_id: (plan, "d", "d"))

    labelled = []

    def died_early(kind, playbook, args, labels=None):
        labelled.append(labels)
        return types.SimpleNamespace(events=[], status="failed", rc=1)

    monkeypatch.setattr(cli, "run_playbook", died_early)
    assert cli.main(["apply", PLAN_ID]) == cli.EXIT_ERROR
    out = capsys.readouterr()
    assert "this run wrote no report" in out.err and "計画どおり完了" not in out.out + out.err
    # the run is labelled in ARA with its operation, clause and plan (docs/records.md)
    assert labelled == [["operation:site", "clause:§6-3(6) OPS-BACKUP", f"plan:{PLAN_ID}"]]

    def wrote_one(kind, playbook, args, labels=None):
        stamp = folder / "reports" / "20261216T223000"
        stamp.mkdir()
        new = {"verdict": "unplanned", "verdict_ja": "計画外の変更あり", "counts": {"unplanned": 2}}
        (stamp / "report.json").write_text(json.dumps(new))
        return types.SimpleNamespace(events=[], status="successful", rc=0)

    monkeypatch.setattr(cli, "run_playbook", wrote_one)
    assert cli.main(["apply", PLAN_ID]) == cli.EXIT_REVIEW
    out = capsys.readouterr().out
    assert "計画外の変更あり" in out and "計画どおり完了" not in out
