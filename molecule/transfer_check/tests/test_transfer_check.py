"""transfer_check changes nothing: its reports must match the stand-ins, and the drops be empty again."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))


def report(kind):
    runs = sorted((EPHEMERAL / "reports" / kind).iterdir())
    assert runs, f"no {kind} report"
    return runs[-1]


@pytest.fixture(scope="module")
def checks(converge_output):
    return converge_output("transfer_check")


def test_a_clean_run_reports_every_direction_passed_in_japanese():
    text = (report("ok") / "transfer_check.md").read_text(encoding="utf-8")
    assert "| 判定 | 問題なし |" in text
    assert text.count("| 合格 |") == 6, text
    row = "| 無害化ファイル転送 | インターネット接続系→LGWAN接続系 | probe-macro.docm |"
    assert row + " マクロが除去されて届く | 合格 |" in text
    assert "令和" in text


def test_the_sanitisation_report_of_each_document_is_kept():
    folder = report("ok") / "internet_lgwan-internet-lgwan"
    reports = sorted(p.name for p in folder.glob("*.report.json"))
    assert [name.split("-", 1)[1] for name in reports] == [
        "probe-clean.txt.report.json",
        "probe-javascript.pdf.report.json",
        "probe-macro.docm.report.json",
    ]
    assert any(p.suffix == ".docx" for p in folder.iterdir()), (
        "the rebuilt document is kept beside its report"
    )


def test_a_stopped_engine_fails_the_check_naming_the_stuck_step(checks):
    failure = checks["stopped_failure"]
    assert failure["said_problems"] is True
    assert "internet_lgwan internet→lgwan: probe-clean.txt: 転送システムによる受け取りで止まりました" in str(
        failure
    )
    text = (report("stopped") / "transfer_check.md").read_text(encoding="utf-8")
    assert "停止（転送システムによる受け取りで停止）" in text


def sent_names():
    """What this converge's probes put on the drops (both checks, the stuck document included)."""
    names = []
    for kind in ("ok", "stopped"):
        record = json.loads((report(kind) / "transfer_check.json").read_text(encoding="utf-8"))
        names += [d["sent_as"] for p in record["probes"] for d in p["documents"]]
    return names


@pytest.mark.parametrize("host", ["xfer-inet01", "xfer-lg01", "mnxfer-lg01", "mnxfer01"])
def test_no_probe_document_is_left_on_the_drops(lab_host, host):
    sent = sent_names()
    assert len(sent) == 7, sent  # six of the clean run, one of the stopped run
    drop = lab_host(host)
    for box in ("outbox", "inbox"):
        left = drop.check_output(f"ls -A /srv/xfer/xfer-probe/{box}").split()
        mine = [n for n in left if any(n.startswith(os.path.splitext(s)[0]) for s in sent)]
        assert mine == [], f"{host} {box}: {mine}"
