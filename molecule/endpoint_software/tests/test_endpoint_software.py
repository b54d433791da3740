"""endpoint_software from recorded win_package results on the controller (a stand-in: no Windows runs
here) against a real distribution share of wixl-built MSIs: the install order and outcome, the reboot
a 3010 asks for, an uninstall given as entries, an installer whose checksum is not the catalogue's
stopping the PC, and the distribution packages with their SKYSEA import file."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest


@pytest.fixture(scope="module")
def result(converge_output):
    return converge_output("endpoint_software")


def test_the_install_runs_in_install_order_and_records_the_reboot(result):
    got = [(o["id"], o["action"], o["rc"], o["reboot_required"], o["ok"]) for o in result["installed"]]
    assert got == [
        ("apex_one_agent", "installed", 0, False, True),
        ("skysea_agent", "installed", 3010, True, True),
        ("skysea_workflow", "installed", 0, False, True),
        ("acrobat_pro", "installed", 0, False, True),
    ]
    assert set(result["installed"][0]) == {"id", "name", "version", "action", "rc", "reboot_required", "ok",
                                           "line_ja"}  # fmt: skip
    line = result["installed"][1]["line_ja"]
    assert line == "SKYSEA Client View エージェント 19.2.0.1: インストール・再起動が必要"


def test_an_uninstall_given_as_entries(result):
    assert [(o["id"], o["action"], o["reboot_required"]) for o in result["uninstalled"]] == [
        ("acrobat_pro", "uninstalled", True)
    ]


def test_a_wrong_checksum_stops_the_pc_naming_the_entry(result):
    assert "skysea_agent（SKYSEA Client View エージェント）のインストーラが" in result["refused"]
    assert "カタログの sha256 と違います" in result["refused"]


def test_the_packages_hold_the_installer_the_entry_and_the_skysea_import(result, controller):
    base = result["package_dir"]
    assert [p["folder"] for p in result["packages"]] == ["skysea_agent-19.2.0.1", "just_pdf-5.0.1.0"]
    folder = os.path.join(base, "skysea_agent-19.2.0.1")
    entry = json.loads(controller.file(os.path.join(folder, "catalogue_entry.json")).content_string)
    assert entry["product_id"] == "{DDC741C9-20FA-4E96-B0C4-16D3781E69F6}"
    msi = controller.file(os.path.join(folder, "SKYCV_Agent_19.2.msi"))
    assert msi.is_file and msi.sha256sum == entry["sha256"]
    data = controller.file(os.path.join(folder, "skysea_distribution.csv")).content
    rows = list(csv.reader(io.StringIO(data.decode("cp932"), newline="")))
    assert rows[0][:3] == ["配布名", "ソフトウェア名", "バージョン"]
    assert rows[1][1] == "SKYSEA Client View エージェント" and rows[1][9] == entry["product_id"]
    assert b"\r\n" in data
    report = controller.file(os.path.join(base, "endpoint_package.md")).content_string
    assert "配布パッケージ作成報告" in report and "skysea_agent-19.2.0.1" in report
