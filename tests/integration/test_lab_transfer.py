"""The lab's stand-in for the two inter-segment file-transfer systems (lab/components/70-transfer.sh).

A stand-in, not the product: the engines are real (ClamAV clamd with the lab's EICAR signature,
oletools/olefile, pikepdf) and the drops are real chrooted SFTP accounts on namespace hosts (OpenSSH's
own sftp client talks to them here); the HTTPS front and the worker around the engines are the lab's
own, shaped after MetaDefender Core's REST API. These tests go through its interfaces only: SFTP,
HTTPS with the lab CA, the CSV import folder, and the component script.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pikepdf
import pytest
from conftest import LAB_DIR, LAB_RUN, REPO
from oletools.olevba import VBA_Parser

pytestmark = pytest.mark.lab

COMPONENT = LAB_DIR / "components" / "70-transfer.sh"
PROBE_FILES = REPO / "roles" / "transfer_check" / "files" / "probe"
# built at run time so that no file of the repository carries the test string
EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-" + "TEST-FILE!$H+H*"
WAIT_S = 60


# --- clients ---------------------------------------------------------------------------------------


class Api:
    def __init__(self, hv: dict):
        self.url = hv["jichitai_transfer_api_url"].rstrip("/")
        self.key = hv["jichitai_transfer_api_key"]
        self.ctx = ssl.create_default_context(cafile=hv["jichitai_transfer_api_ca_file"])

    def call(self, method: str, path: str, body=None, headers=None, key: str | None = None):
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        if key is None:
            key = self.key
        if key:
            req.add_header("apikey", key)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def json(self, method: str, path: str, body=None, **kw):
        status, data = self.call(method, path, body, **kw)
        return status, json.loads(data)

    def analyse(self, name: str, data: bytes, **headers) -> dict:
        status, answer = self.json("POST", "/file", data, headers={"filename": name, **headers})
        assert status == 200, answer
        for _ in range(WAIT_S * 10):
            status, report = self.json("GET", f"/file/{answer['data_id']}")
            assert status == 200, report
            if report["process_info"]["progress_percentage"] == 100:
                return report
            time.sleep(0.1)
        raise AssertionError(f"{name}: still processing after {WAIT_S}s")


class Drop:
    """One side's SFTP drop of the probe user, through OpenSSH's sftp client."""

    def __init__(self, hv: dict):
        self.address = hv["ansible_host"]
        self.opts = [
            "-o", f"UserKnownHostsFile={hv['jichitai_transfer_drop_known_hosts']}",
            "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=5", "-i", hv["jichitai_transfer_drop_key_file"],
        ]  # fmt: skip
        self.target = f"{hv['jichitai_transfer_drop_user']}@{self.address}"

    def sftp(self, *commands: str) -> str:
        proc = subprocess.run(
            ["sftp", "-b", "-", *self.opts, self.target],
            input="\n".join(commands) + "\n", capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def ls(self, folder: str) -> list[str]:
        out = self.sftp(f"ls -1 {folder}")
        return [
            Path(line.strip()).name
            for line in out.splitlines()
            if line.strip() and not line.startswith("sftp>")
        ]

    def put(self, local: Path) -> None:
        self.sftp(f"put {local} /outbox/{local.name}")

    def get(self, name: str, local_dir: Path) -> Path:
        self.sftp(f"get /inbox/{name} {local_dir}/")
        return local_dir / name

    def wait_for(self, name: str) -> None:
        for _ in range(WAIT_S * 2):
            if name in self.ls("/inbox"):
                return
            time.sleep(0.5)
        raise AssertionError(f"{name} did not arrive in {self.target}:/inbox within {WAIT_S}s")


def send(src: Drop, dst: Drop, local: Path, tmp_path: Path) -> tuple[dict, list[str]]:
    """Put a file in src's outbox; wait for its report in dst's inbox; return the report and the inbox."""
    src.put(local)
    report_name = f"{local.name}.report.json"
    dst.wait_for(report_name)
    inbox = dst.ls("/inbox")
    report = json.loads(dst.get(report_name, tmp_path).read_text(encoding="utf-8"))
    assert local.name not in src.ls("/outbox")
    return report, inbox


def unique_copy(source: Path | bytes, suffix: str, tmp_path: Path) -> Path:
    out = tmp_path / "send" / f"t-{uuid.uuid4().hex[:8]}{suffix}"
    out.parent.mkdir(exist_ok=True)
    if isinstance(source, bytes):
        out.write_bytes(source)
    else:
        shutil.copyfile(source, out)
    return out


def component(*args: str) -> None:
    proc = subprocess.run(
        ["bash", str(COMPONENT), *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inet(lab, lab_vars):
    return Drop(lab_vars("xfer-inet01"))


@pytest.fixture(scope="module")
def lg(lab, lab_vars):
    return Drop(lab_vars("xfer-lg01"))


@pytest.fixture(scope="module")
def api(lab, lab_vars):
    return Api(lab_vars("xfer-lg01"))


@pytest.fixture(scope="module")
def mn_api(lab, lab_vars):
    return Api(lab_vars("mnxfer01"))


# --- drops and delivery ----------------------------------------------------------------------------


def test_inventory_names_each_side_of_each_system(lab_vars):
    expected = {
        "xfer-inet01": ("internet", "internet_lgwan", "rest"),
        "xfer-lg01": ("lgwan", "internet_lgwan", "rest"),
        "mnxfer-lg01": ("lgwan", "lgwan_mynumber", "csv"),
        "mnxfer01": ("mynumber", "lgwan_mynumber", "csv"),
    }
    for host, (segment, route, backend) in expected.items():
        hv = lab_vars(host)
        assert (hv["jichitai_segment"], hv["jichitai_transfer_route"]) == (segment, route)
        assert hv["jichitai_transfer_accounts_backend"] == backend
        assert hv["jichitai_transfer_api_url"].startswith("https://127.0.0.1:")
        assert Path(hv["jichitai_transfer_drop_key_file"]).is_file()


def test_clean_text_arrives_byte_identical_with_its_report(inet, lg, tmp_path):
    local = unique_copy(PROBE_FILES / "probe-clean.txt", ".txt", tmp_path)
    report, inbox = send(inet, lg, local, tmp_path)
    assert local.name in inbox
    (tmp_path / "recv").mkdir()
    got = lg.get(local.name, tmp_path / "recv")
    assert got.read_bytes() == local.read_bytes()
    assert report["process_info"]["result"] == "Allowed"
    assert report["scan_results"]["scan_all_result_a"] == "No Threat Detected"
    assert report["file_info"]["sha256"] == hashlib.sha256(local.read_bytes()).hexdigest().upper()
    assert report["process_info"]["post_processing"]["actions_ran"] == ""
    assert len(report["data_id"]) == 32


def test_macro_document_arrives_as_docx_without_its_macro(inet, lg, tmp_path):
    local = unique_copy(PROBE_FILES / "probe-macro.docm", ".docm", tmp_path)
    before = VBA_Parser(str(local))
    assert before.detect_vba_macros(), "the probe document must carry a VBA project"
    before.close()
    report, inbox = send(inet, lg, local, tmp_path)
    docx = local.with_suffix(".docx").name
    assert docx in inbox and local.name not in inbox
    (tmp_path / "recv").mkdir()
    got = lg.get(docx, tmp_path / "recv")
    parser = VBA_Parser(str(got))
    assert not parser.detect_vba_macros()
    parser.close()
    with zipfile.ZipFile(got) as z:
        assert not [n for n in z.namelist() if "vba" in n.lower()]
        content_types = z.read("[Content_Types].xml").decode()
        assert "macroEnabled" not in content_types and "vbaProject" not in content_types
        assert "wordprocessingml.document.main+xml" in content_types
        assert "vbaProject" not in z.read("word/_rels/document.xml.rels").decode()
    post = report["process_info"]["post_processing"]
    assert report["process_info"]["result"] == "Allowed"
    assert post["actions_ran"] == "Sanitized" and post["converted_to"] == "docx"
    macro = [d for d in post["sanitization_details"]["details"] if d["object_name"] == "macro"]
    assert macro and macro[0]["action"] == "removed" and macro[0]["count"] >= 1
    assert "NewMacros.bas" in macro[0]["object_details"]


def _javascript_left(path: Path) -> list[str]:
    found = []
    with pikepdf.open(path) as pdf:
        if "/Names" in pdf.Root and "/JavaScript" in pdf.Root.Names:
            found.append("/Names/JavaScript")
        if "/OpenAction" in pdf.Root:
            found.append("/OpenAction")
        if "/AA" in pdf.Root or any("/AA" in page.obj for page in pdf.pages):
            found.append("/AA")
        found += [
            f"object {o.objgen}" for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/JS" in o
        ]
    return found


def test_pdf_arrives_without_its_javascript(inet, lg, tmp_path):
    local = unique_copy(PROBE_FILES / "probe-javascript.pdf", ".pdf", tmp_path)
    assert _javascript_left(local), "the probe PDF must carry JavaScript"
    report, inbox = send(inet, lg, local, tmp_path)
    (tmp_path / "recv").mkdir()
    got = lg.get(local.name, tmp_path / "recv")
    assert _javascript_left(got) == []
    with pikepdf.open(got) as pdf:
        assert len(pdf.pages) == 1
    details = report["process_info"]["post_processing"]["sanitization_details"]["details"]
    js = [d for d in details if d["object_name"] == "JavaScript"]
    assert js and js[0]["action"] == "removed"
    assert {"/OpenAction", "/Names/JavaScript", "/AA (page 1)"} <= set(js[0]["object_details"])


def test_eicar_is_blocked_and_only_its_report_delivered(inet, lg, tmp_path):
    local = unique_copy(EICAR.encode(), ".com", tmp_path)
    report, inbox = send(inet, lg, local, tmp_path)
    assert local.name not in inbox
    assert report["process_info"]["result"] == "Blocked"
    assert report["process_info"]["blocked_reason"] == "Infected"
    assert report["scan_results"]["scan_all_result_i"] == 1
    assert report["scan_results"]["scan_details"]["ClamAV"]["threat_found"].startswith("Eicar-Test-Signature")


def test_lgwan_to_internet_is_scanned_not_sanitised(inet, lg, tmp_path):
    local = unique_copy(PROBE_FILES / "probe-macro.docm", ".docm", tmp_path)
    report, inbox = send(lg, inet, local, tmp_path)
    assert local.name in inbox
    assert report["process_info"]["profile"] == "scan"
    assert report["process_info"]["post_processing"]["actions_ran"] == ""


def test_lgwan_mynumber_carries_files_both_ways(lab_vars, tmp_path):
    lgside, mnside = Drop(lab_vars("mnxfer-lg01")), Drop(lab_vars("mnxfer01"))
    for src, dst in ((lgside, mnside), (mnside, lgside)):
        local = unique_copy(PROBE_FILES / "probe-clean.txt", ".txt", tmp_path)
        report, inbox = send(src, dst, local, tmp_path)
        assert local.name in inbox and report["process_info"]["result"] == "Allowed"


def test_drop_user_gets_sftp_only(inet):
    proc = subprocess.run(
        ["ssh", *inet.opts, inet.target, "id"], capture_output=True, text=True, timeout=30, check=False
    )
    assert "uid=" not in proc.stdout


# --- the MetaDefender-shaped file API --------------------------------------------------------------


def test_file_api_sanitises_and_serves_the_converted_file(api, tmp_path):
    data = (PROBE_FILES / "probe-macro.docm").read_bytes()
    report = api.analyse("probe-macro.docm", data, **{"x-direction": "internet_to_lgwan"})
    assert report["sanitized"]["result"] == "Allowed"
    status, converted = api.call("GET", f"/file/converted/{report['data_id']}")
    assert status == 200
    (tmp_path / "c.docx").write_bytes(converted)
    parser = VBA_Parser(str(tmp_path / "c.docx"))
    assert not parser.detect_vba_macros()
    parser.close()


def test_file_api_blocks_eicar_and_serves_nothing(api):
    report = api.analyse("eicar.com", EICAR.encode(), rule="scan")
    assert report["process_info"]["result"] == "Blocked"
    assert api.call("GET", f"/file/converted/{report['data_id']}")[0] == 404


def test_file_api_refuses_unknown_ids_bad_keys_and_directions(api, mn_api):
    assert api.call("GET", f"/file/{uuid.uuid4().hex}")[0] == 404
    assert api.call("GET", "/admin/status", key="wrong")[0] == 401
    assert api.call("GET", "/admin/status", key="")[0] == 401
    assert mn_api.call("GET", "/admin/status", key="wrong")[0] == 401
    status, _ = api.call("POST", "/file", b"x", headers={"filename": "x", "x-direction": "lgwan_to_mynumber"})
    assert status == 400


def test_status_reports_engines_and_routes(api, mn_api):
    for client, system, pairs in (
        (api, "internet_lgwan", {("internet", "lgwan"), ("lgwan", "internet")}),
        (mn_api, "lgwan_mynumber", {("lgwan", "mynumber"), ("mynumber", "lgwan")}),
    ):
        status, body = client.json("GET", "/admin/status")
        assert status == 200
        assert body["system"] == system
        assert body["engines"] == {"clamav": "ok", "sanitiser": "ok"}
        assert {(r["from"], r["to"]) for r in body["routes"]} == pairs
        assert isinstance(body["queue"], int)


# --- accounts: REST (internet_lgwan) ---------------------------------------------------------------


def test_rest_accounts_round_trip(api):
    uid, group = f"t{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:6]}"
    user = {"id": uid, "name": "転送 太郎", "department": "0101", "department_name": "秘書課",
            "group": group, "approver": "", "side": "lgwan"}  # fmt: skip
    try:
        assert api.json("PUT", f"/admin/groups/{group}", {"name": group, "description": "試験"}) == (
            200, {"changed": True})  # fmt: skip
        assert api.json("PUT", f"/admin/users/{uid}", user) == (200, {"changed": True})
        assert api.json("PUT", f"/admin/users/{uid}", user) == (200, {"changed": False})
        assert api.json("PUT", f"/admin/routes/{group}/lgwan/internet", {"approval": "required"})[1] == {
            "changed": True}  # fmt: skip
        status, listing = api.json("GET", "/admin/accounts")
        assert status == 200
        assert user in listing["users"]
        assert {"name": group, "description": "試験"} in listing["groups"]
        assert {"group": group, "from": "lgwan", "to": "internet", "approval": "required"} in listing[
            "routes"
        ]
        assert [u["id"] for u in listing["users"]] == sorted(u["id"] for u in listing["users"])
        status, body = api.json("PUT", f"/admin/users/{uid}", b"{not json")
        assert status == 400 and "JSON" in body["err"]
    finally:
        assert api.call("DELETE", f"/admin/users/{uid}")[0] == 200
        assert api.call("DELETE", f"/admin/routes/{group}/lgwan/internet")[0] == 200
        assert api.call("DELETE", f"/admin/groups/{group}")[0] == 200
    assert api.call("DELETE", f"/admin/users/{uid}")[0] == 404
    assert uid not in [u["id"] for u in api.json("GET", "/admin/accounts")[1]["users"]]


def test_rest_accounts_need_the_key(api):
    assert api.call("GET", "/admin/accounts", key="wrong")[0] == 401
    assert api.call("PUT", "/admin/users/x", {"id": "x"}, key="")[0] == 401


def test_csv_system_has_no_account_api(mn_api):
    assert mn_api.call("GET", "/admin/accounts")[0] == 404
    assert mn_api.call("PUT", "/admin/users/x", {"id": "x"})[0] == 404


# --- accounts: CSV import (lgwan_mynumber) ---------------------------------------------------------


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("cp932")


def _read_export(folder: Path) -> dict[str, list[list[str]]]:
    return {
        name: list(csv.reader(io.StringIO((folder / name).read_bytes().decode("cp932"), newline="")))
        for name in ("users.csv", "groups.csv", "routes.csv")
    }


def _write_batch(import_dir: Path, tables: dict[str, list[list[str]]], tamper: bool = False) -> str:
    batch = f"b-{uuid.uuid4().hex[:10]}"
    folder = import_dir / f".{batch}"  # built under a hidden name, then renamed: complete when seen
    folder.mkdir()
    sums = []
    for name, rows in tables.items():
        data = _csv_bytes(rows)
        (folder / name).write_bytes(data)
        sums.append(f"{hashlib.sha256(data).hexdigest()}  {name}")
    if tamper:
        with (folder / "users.csv").open("ab") as f:
            f.write(_csv_bytes([["intruder", "侵入者", "", "", "", "", "lgwan"]]))
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")
    folder.rename(import_dir / batch)
    return batch


def _wait_result(import_dir: Path, batch: str) -> dict:
    path = import_dir / f"{batch}.result.json"
    for _ in range(WAIT_S * 10):
        if path.exists():
            return json.loads(path.read_text(encoding="utf-8"))
        time.sleep(0.1)
    raise AssertionError(f"batch {batch} was not processed within {WAIT_S}s")


@pytest.fixture
def csv_dirs(lab, lab_vars):
    hv = lab_vars("mnxfer01")
    import_dir, export_dir = (
        Path(hv["jichitai_transfer_import_dir"]),
        Path(hv["jichitai_transfer_export_dir"]),
    )
    original = _read_export(export_dir)
    yield import_dir, export_dir, original
    # put the account set back as it was
    batch = _write_batch(import_dir, original)
    assert _wait_result(import_dir, batch)["ok"]


def test_csv_good_batch_replaces_the_accounts_and_is_exported(csv_dirs):
    import_dir, export_dir, original = csv_dirs
    assert original["users.csv"][0] == [
        "ユーザーID",
        "氏名",
        "所属コード",
        "所属名",
        "グループ",
        "承認者ユーザーID",
        "セグメント",
    ]
    tables = {
        "users.csv": [
            *original["users.csv"],
            ["mn0001", "番号 花子", "0301", "市民課", "g-shimin", "", "mynumber"],
        ],
        "groups.csv": [*original["groups.csv"], ["g-shimin", "市民課 住民記録"]],
        "routes.csv": [*original["routes.csv"], ["g-shimin", "mynumber", "lgwan", "要"]],
    }
    batch = _write_batch(import_dir, tables)
    result = _wait_result(import_dir, batch)
    assert result["ok"] and result["errors"] == [] and result["batch"] == batch
    exported = _read_export(export_dir)
    assert ["mn0001", "番号 花子", "0301", "市民課", "g-shimin", "", "mynumber"] in exported["users.csv"]
    assert ["g-shimin", "mynumber", "lgwan", "要"] in exported["routes.csv"]
    assert (export_dir / "users.csv").read_bytes().count(b"\r\n") == len(exported["users.csv"])


def test_csv_batch_with_a_bad_checksum_is_rejected_whole(csv_dirs):
    import_dir, export_dir, original = csv_dirs
    tables = {
        "users.csv": [*original["users.csv"], ["mn0002", "番号 次郎", "0301", "市民課", "", "", "mynumber"]],
        "groups.csv": original["groups.csv"],
        "routes.csv": original["routes.csv"],
    }
    batch = _write_batch(import_dir, tables, tamper=True)
    result = _wait_result(import_dir, batch)
    assert result["ok"] is False
    assert any("users.csv" in e and "checksum" in e for e in result["errors"])
    assert _read_export(export_dir) == original


def test_csv_batch_with_a_bad_row_names_file_and_line(csv_dirs):
    import_dir, export_dir, original = csv_dirs
    tables = {
        "users.csv": original["users.csv"],
        "groups.csv": original["groups.csv"],
        "routes.csv": [*original["routes.csv"], ["g-x", "mynumber", "internet", "たぶん"]],
    }
    batch = _write_batch(import_dir, tables)
    result = _wait_result(import_dir, batch)
    line = len(original["routes.csv"]) + 1
    assert result["ok"] is False and any(e.startswith(f"routes.csv line {line}:") for e in result["errors"])
    assert _read_export(export_dir) == original


# --- stopping one system's processing --------------------------------------------------------------


def test_stopped_engine_leaves_the_file_in_the_outbox_until_started(inet, lg, api, tmp_path):
    local = unique_copy(PROBE_FILES / "probe-clean.txt", ".txt", tmp_path)
    uid = f"t{uuid.uuid4().hex[:8]}"
    assert api.json("PUT", f"/admin/users/{uid}", {"id": uid, "side": "internet"})[0] == 200
    component("stop-engine", "internet_lgwan")
    try:
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(api.url + "/admin/status", context=api.ctx, timeout=5)
        inet.put(local)
        time.sleep(4)  # several worker polls' worth: a running worker would have taken it by now
        assert local.name in inet.ls("/outbox")
        assert f"{local.name}.report.json" not in lg.ls("/inbox")
    finally:
        component("start-engine", "internet_lgwan")
    lg.wait_for(f"{local.name}.report.json")
    assert local.name in lg.ls("/inbox") and local.name not in inet.ls("/outbox")
    # the accounts survived the restart of the process
    assert uid in [u["id"] for u in api.json("GET", "/admin/accounts")[1]["users"]]
    assert api.call("DELETE", f"/admin/users/{uid}")[0] == 200


def test_component_status_is_up(lab):
    proc = subprocess.run(
        ["bash", str(COMPONENT), "status"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert (LAB_RUN / "transfer" / "clamd.sock").is_socket()
