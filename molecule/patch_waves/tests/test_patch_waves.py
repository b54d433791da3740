"""patch_waves, entry point plan, on the controller: the lab's AD pair and the backup server that
depends on both, in waves; an empty scope and an unknown kind refused. No host is touched."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def result(converge_output):
    return converge_output("patch_waves")


def wave_of(plan):
    return {host: wave["wave"] for wave in plan["waves"] for host in wave["hosts"]}


def test_every_host_of_the_scope_is_planned_once(result):
    plan = result["plan"]
    assert sorted(plan["hosts"]) == ["ad01", "ad02", "backup01"]
    assert plan["batches"] == [len(w["hosts"]) for w in plan["waves"]]
    assert sum(plan["batches"]) == len(plan["hosts"])


def test_the_pair_is_split_and_ad01_goes_first(result):
    waves = wave_of(result["plan"])
    assert waves["ad01"] < waves["ad02"], waves  # the startup order brings ad01 back first
    assert result["plan"]["partners"] == {"ad01": ["ad02"], "ad02": ["ad01"]}


def test_the_backup_server_waits_for_both_domain_controllers(result):
    waves = wave_of(result["plan"])
    assert waves["backup01"] > max(waves["ad01"], waves["ad02"]), waves


def test_the_wave_play_gets_the_hosts_in_wave_order(result):
    assert result["group"] == result["plan"]["hosts"]
    assert result["host_waves"] == wave_of(result["plan"])
    assert all(w["ring"] == "servers" and w["line_ja"].startswith(f"第{w['wave']}波 [サーバ]")
               for w in result["plan"]["waves"])  # fmt: skip


def test_an_empty_scope_is_refused(result):
    assert "patch_waves_scope が空です" in result["empty_scope"]


def test_an_unknown_kind_is_refused_by_the_argument_specs(result):
    assert "patch_waves_kind must be one of: servers, clients" in result["unknown_kind"]


def test_no_report_is_written_by_the_plan(controller):
    # the plan fixes the report's folder only; the status report is written by the wave play
    reports = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "reports")
    assert not controller.file(reports).exists
