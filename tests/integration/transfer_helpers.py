"""The lab's transfer stand-ins as tests use them: a module run on the controller, and the accounts of
both systems saved and put back (state exact) so a test leaves them as it found them."""

from __future__ import annotations

import json

from ansible.module_utils.transfer import csvimport
from ansible.module_utils.transfer.rest import TransferClient
from conftest import _adhoc


def module_run(module: str, args: dict, check: bool = False, timeout: int = 300) -> dict:
    """One module on localhost with the lab inventory; its result (the json callback's)."""
    options = ("--check", "--diff") if check else ()
    return _adhoc("localhost", module, json.dumps(args, ensure_ascii=False), timeout, options)["localhost"]


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
