"""The lab's transfer stand-ins as tests use them: a module run on the controller, and the accounts of
both systems saved and put back (state exact) so a test leaves them as it found them."""

from __future__ import annotations

import json
import os
import subprocess

from ansible.module_utils.transfer import csvimport
from ansible.module_utils.transfer.rest import TransferClient
from conftest import LAB_INVENTORY, REPO, VENV_BIN


def module_run(module: str, args: dict, check: bool = False, timeout: int = 300) -> dict:
    """One module on localhost with the lab inventory; its result (the json callback's)."""
    cmd = [
        str(VENV_BIN / "ansible"),
        "-i",
        str(LAB_INVENTORY),
        "localhost",
        "-m",
        module,
        "-a",
        json.dumps(args, ensure_ascii=False),
    ]
    if check:
        cmd += ["--check", "--diff"]
    env = os.environ | {
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
    }
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd=REPO
    )
    return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def rest_connection(lab_vars) -> dict:
    hv = lab_vars("xfer-lg01")
    return {
        "system": "internet_lgwan",
        "segments": ["internet", "lgwan"],
        "api_url": hv["jichitai_transfer_api_url"],
        "api_key": hv["jichitai_transfer_api_key"],
        "ca_path": hv["jichitai_transfer_api_ca_file"],
    }


def csv_connection(lab_vars) -> dict:
    hv = lab_vars("mnxfer01")
    return {
        "system": "lgwan_mynumber",
        "segments": ["lgwan", "mynumber"],
        "backend": "csv",
        "import_dir": hv["jichitai_transfer_import_dir"],
        "export_dir": hv["jichitai_transfer_export_dir"],
        "wait_import": 60,
    }


def rest_client(conn: dict) -> TransferClient:
    return TransferClient(conn["system"], conn["api_url"], conn["api_key"], ca_path=conn["ca_path"])


def snapshot(lab_vars) -> dict:
    """The accounts of both systems now."""
    rest, csv_ = rest_connection(lab_vars), csv_connection(lab_vars)
    return {"rest": rest_client(rest).accounts(), "csv": csvimport.read_export(csv_["export_dir"])}


def restore(lab_vars, saved: dict) -> None:
    """Put both systems' accounts back to ``saved`` (state exact)."""
    for conn, accounts in (
        (rest_connection(lab_vars), saved["rest"]),
        (csv_connection(lab_vars), saved["csv"]),
    ):
        result = module_run("transfer_accounts", dict(conn, state="exact", allow_empty=True, **accounts))
        assert not result.get("failed"), result.get("msg")
