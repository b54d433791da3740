"""The antivirus definitions check's pure parts (plugins/module_utils/antivirus/, the filter
av_definitions_policy, the module av_definitions_report): the policy validated whole, ClamAV's database
versions read from `sigtool --info` output and container headers (recorded from ClamAV 1.4.6's sigtool on
an unsigned container the lab builds), the age per endpoint against the policy, the textfile metric the
alert rule reads, and the Japanese report."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "filter_plugins"))
from ansible.module_utils.antivirus import engine, policy, status  # noqa: E402
from av_definitions import av_definitions_policy  # noqa: E402
from conftest import _adhoc  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 12, 7, 8, 0, tzinfo=TZ)
SIGTOOL = """File: jichitai-lab.cud
Build time: 06 Dec 2026 19:41 +0000
Version: 7
Signatures: 3
Functionality level: 216
Builder: jichitai-lab
Verification: Unsigned container
"""
HEADER = (
    "ClamAV-VDB:06 Dec 2026 19-41 +0000:7:3:216:cb39b7230c1fe3847d80772ad3f1c0bd:X:jichitai-lab:"
    "1796586095".ljust(512).encode()
)
POLICY = {"clause": "§6-3(5)", "max_age_hours": 48}
EXPORT = {
    "server": {"name": "opsmgmt01", "definition_version": "2026.12.07.001",
               "definition_date": "2026-12-07T03:00:00+09:00"},
    "endpoints": [
        {"endpoint": "pc-0001", "definition_version": "2026.12.06.003",
         "definition_date": "2026-12-06T00:00:00+09:00"},
        {"endpoint": "pc-0002", "definition_version": "2026.12.01.001",
         "definition_date": "2026-12-01T00:00:00+09:00"},
    ],
}  # fmt: skip


def engine_entry(host="av-ep01", info=SIGTOOL, mtime=1796586095, rc=0, extra=()):
    databases = [{"path": f"/var/lib/clamav/{host}/jichitai-lab.cud", "mtime": mtime, "info": info},
                 {"path": f"/var/lib/clamav/{host}/freshclam.dat", "mtime": mtime}, *extra]  # fmt: skip
    return {"host": host, "databases": databases, "update": {"ran": True, "rc": rc, "detail": "mirror down"}}


# ---- the policy ----


def test_policy_defaults_and_every_bad_key_named_at_once():
    assert policy.validate(None) == {"clause": "§6-3(5)", "max_age_hours": 48, "notes": None}
    assert policy.validate({"max_age_hours": 24})["max_age_hours"] == 24
    with pytest.raises(policy.AvPolicyError) as caught:
        policy.validate({"max_age_hours": True, "clause": "", "max_age_days": 2})
    text = "\n".join(caught.value.problems)
    assert len(caught.value.problems) == 3
    assert "max_age_days: 知らないキー" in text and "max_age_hours: 1〜720" in text and "clause:" in text
    for bad in (0, 721, "48", 1.5):
        with pytest.raises(policy.AvPolicyError):
            policy.validate({"max_age_hours": bad})


def test_policy_filter_raises_with_the_count():
    assert av_definitions_policy({})["max_age_hours"] == 48
    with pytest.raises(Exception, match=r"jichitai_av_policy に問題があります（1 件）"):
        av_definitions_policy({"max_age_hour": 1})


# ---- the engine's databases ----


def test_sigtool_info_and_the_container_header_agree():
    info = engine.sigtool_info(SIGTOOL)
    head = engine.cvd_header(HEADER)
    assert info["version"] == head["version"] == 7
    assert info["signatures"] == head["signatures"] == 3
    assert info["builder"] == head["builder"] == "jichitai-lab"
    assert info["build_time"] == dt.datetime(2026, 12, 6, 19, 41, tzinfo=dt.UTC)
    # the header's stime is to the second
    assert head["build_time"] == dt.datetime.fromtimestamp(1796586095, dt.UTC)
    assert head["verification"] == "unsigned"
    with pytest.raises(engine.AvEngineError, match="Build time"):
        engine.sigtool_info("ERROR: cvdinfo: Can't read/parse CVD header")
    with pytest.raises(engine.AvEngineError, match="not a ClamAV database header"):
        engine.cvd_header(b"Eicar-Test-Signature:0:*:4549")


def test_definitions_from_the_newest_container_else_the_newest_plain_file():
    found = engine.definitions(engine_entry(extra=[{"path": "/x/local.ndb", "mtime": 1796999999}]))
    assert found["basis"] == "container" and found["version"] == "jichitai-lab 7"
    assert found["updated_at"] == dt.datetime(2026, 12, 6, 19, 41, tzinfo=dt.UTC)
    assert [d["name"] for d in found["databases"]] == ["jichitai-lab.cud", "local.ndb"]  # no freshclam.dat
    plain = engine.definitions({"host": "h", "databases": [{"path": "/x/a.ndb", "mtime": 100},
                                                          {"path": "/x/b.hdb", "mtime": 200}]})  # fmt: skip
    assert plain["basis"] == "file" and plain["updated_at"].timestamp() == 200
    assert "a.ndb" in plain["version"] and plain["update_ok"] is None
    empty = engine.definitions({"host": "h", "databases": [{"path": "/x/freshclam.dat", "mtime": 1}]})
    assert empty["basis"] == "none" and empty["updated_at"] is None
    with pytest.raises(engine.AvEngineError, match="without sigtool --info"):
        engine.definitions(engine_entry(info=""))


def test_the_role_s_registered_results_are_joined_per_engine():
    """The shapes of ansible.builtin.find, a command loop over paths and one over engines (Ansible 2.19)."""
    engines = [{"host": "av-ep01", "database_dir": "/db1", "freshclam_config": "/f1"},
               {"host": "av-ep02", "database_dir": "/db2"}]  # fmt: skip
    found = {"results": [
        {"item": engines[0], "files": [{"path": "/db1/jichitai-lab.cud", "mtime": 1796586095.2},
                                       {"path": "/db1/freshclam.dat", "mtime": 1796586095.0}]},
        {"item": engines[1], "files": [], "skipped_paths": {"/db2": "/db2 was skipped as it does not exist"}},
    ]}  # fmt: skip
    infos = {"results": [{"item": "/db1/jichitai-lab.cud", "rc": 0, "stdout": SIGTOOL}]}
    updates = {"results": [{"item": engines[0], "rc": 1, "stdout": "ERROR: Can't download jichitai-lab.cud",
                            "stderr": ""}]}  # fmt: skip
    joined = engine.reads(engines, found, infos, updates)
    assert joined[0]["databases"][0]["info"] == SIGTOOL and joined[0]["update"]["rc"] == 1
    assert "Can't download" in joined[0]["update"]["detail"] and joined[0]["update"]["fetched"] is False
    assert joined[1] == {"host": "av-ep02", "databases": []}
    record = status.status(None, joined, policy.validate(None), NOW)
    reasons = {r["host"]: r["reason_ja"] for r in record["rows"]}
    assert "freshclam" in reasons["av-ep01"] and reasons["av-ep02"] == "定義ファイルがありません"
    # in check mode freshclam is skipped: no update verdict
    skipped = engine.reads(engines, found, infos, {"results": [{"item": engines[0], "skipped": True}]})
    assert skipped[0]["update"] == {"ran": False}
    with pytest.raises(engine.AvEngineError, match="sigtool --info failed"):
        bad = {"results": [{"item": "/db1/jichitai-lab.cud", "rc": 2, "stderr": "bad"}]}
        engine.reads(engines, found, bad)


# ---- the pipeline's state ----


def test_age_per_endpoint_against_the_policy_worst_first():
    record = status.status(EXPORT, [engine_entry()], policy.validate(POLICY), NOW, "lab")
    rows = {(r["host"], r["source"]): r for r in record["rows"]}
    assert rows[("opsmgmt01", "export")]["state"] == "ok"
    assert (
        rows[("pc-0001", "export")]["age_hours"] == 32.0 and rows[("pc-0001", "export")]["state_ja"] == "正常"
    )
    stale = rows[("pc-0002", "export")]
    assert stale["state_ja"] == "異常" and stale["age_hours"] == 152.0
    assert "6.3 日" in stale["reason_ja"] and "基準 48 時間以内" in stale["reason_ja"] and stale["action_ja"]
    ep = rows[("av-ep01", "engine")]
    assert ep["update_ja"] == "最新（取得なし）" and rows[("pc-0001", "export")]["update_ja"] == "—"
    assert ep["state"] == "ok" and ep["version"] == "jichitai-lab 7" and ep["age_hours"] == 3.3
    assert record["rows"][0]["host"] == "pc-0002"  # 異常 first
    assert record["verdict_ja"] == "異常" and record["counts"] == {"total": 4, "ok": 3, "critical": 1}
    assert record["clauses"] == ["OPS-AV", "§6-3(5)"]


def test_a_failed_update_is_abnormal_even_with_fresh_definitions():
    record = status.status(None, [engine_entry(rc=1)], policy.validate(POLICY), NOW)
    row = record["rows"][0]
    assert (
        row["state"] == "critical" and "freshclam" in row["reason_ja"] and "mirror down" in row["reason_ja"]
    )
    assert row["update_ja"] == "失敗"


def test_the_age_limit_is_the_policy_s():
    record = status.status(EXPORT, [], policy.validate({"max_age_hours": 24}), NOW)
    assert {r["host"] for r in record["rows"] if r["state"] == "critical"} == {"pc-0001", "pc-0002"}


def test_bad_inputs_are_named_together():
    export = {
        "server": {"name": "m", "definition_date": "2026-12-07"},
        "endpoints": [
            {"definition_date": "2026-12-01"},
            {"endpoint": "pc-9", "definition_date": "yesterday"},
        ],
    }
    with pytest.raises(status.AvStatusError) as caught:
        status.status(export, [engine_entry(), engine_entry(), {"databases": []}], policy.validate(None), NOW)
    text = "\n".join(caught.value.problems)
    assert "端末 #1 に名前がありません" in text and "pc-9" in text and "no host" in text and "2 回" in text


def test_textfile_one_sample_per_host_the_newest_time():
    export = {"server": {"name": "opsmgmt01", "definition_date": "2026-12-07T03:00:00+09:00"},
              "endpoints": [{"endpoint": "av-ep01", "definition_date": "2026-12-01"}]}  # fmt: skip
    record = status.status(export, [engine_entry()], policy.validate(None), NOW)
    text = status.textfile(record)
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines == [
        f'jichitai_av_definitions_updated_timestamp_seconds{{jichitai_host="av-ep01"}} {1796586060}',
        f'jichitai_av_definitions_updated_timestamp_seconds{{jichitai_host="opsmgmt01"}} '
        f"{int(dt.datetime(2026, 12, 7, 3, tzinfo=TZ).timestamp())}",
    ]
    assert "# TYPE jichitai_av_definitions_updated_timestamp_seconds gauge" in text


# ---- the module, through Ansible on the controller ----


def run_module(tmp_path, check=False, **extra):
    args = {"report_dir": str(tmp_path / "report"), "export": EXPORT, "engines": [engine_entry()],
            "policy": POLICY, "checked_at": NOW.isoformat(), "inventory": "lab",
            "textfile": str(tmp_path / "av.prom"), **extra}  # fmt: skip
    options = ("--check",) if check else ()
    return _adhoc(
        "localhost", "av_definitions_report", json.dumps(args, ensure_ascii=False), options=options
    )["localhost"]


def test_module_writes_the_report_in_japanese_and_the_metric(tmp_path):
    result = run_module(tmp_path)
    assert not result.get("failed"), result
    assert result["changed"] is False and result["summary"]["verdict_ja"] == "異常"
    md = (tmp_path / "report" / "av_definitions.md").read_text(encoding="utf-8")
    assert md.startswith("# ウイルス定義ファイル更新状況") and "令和8年12月7日" in md
    assert "| 異常 | pc-0002 |" in md and "| 正常 | av-ep01 |" in md and "jichitai-lab 7" in md
    html = (tmp_path / "report" / "av_definitions.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in html and "v-critical" in html and "pc-0002" in html
    record = json.loads((tmp_path / "report" / "av_definitions.json").read_text(encoding="utf-8"))
    assert record["verdict"] == "critical" and len(record["rows"]) == 4
    assert 'jichitai_host="av-ep01"' in (tmp_path / "av.prom").read_text(encoding="utf-8")


def test_module_in_check_mode_writes_the_report_not_the_metric(tmp_path):
    result = run_module(tmp_path, check=True)
    assert not result.get("failed"), result
    assert result["textfile"] is None and not (tmp_path / "av.prom").exists()
    assert (tmp_path / "report" / "av_definitions.md").exists()


def test_module_refuses_a_bad_policy_and_textfile_naming_each_and_writes_nothing(tmp_path):
    result = run_module(
        tmp_path, policy={"max_age_hours": 0, "colour": "red"}, textfile=str(tmp_path / "av.txt")
    )
    assert result.get("failed")
    assert len(result["problems"]) == 3, result["problems"]
    assert not (tmp_path / "report").exists()
