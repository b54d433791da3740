# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accounts of a transfer system without an account API: the product imports a batch of CSV files
from its import folder and exports its current accounts to an export folder.

A batch is a folder ``<import dir>/<batch id>/`` with users.csv, groups.csv and routes.csv (CP932,
CRLF, header row) and, written last, ``SHA256SUMS`` over the three: the product applies a batch only
when the sums verify, and a batch replaces the whole account set. It answers with
``<batch id>.result.json`` (``ok``, ``errors``) and refreshes the export folder.
"""

import csv
import hashlib
import io
import json
import os
import time

from ansible.module_utils.ledger.encoding import csv_bytes, decode_text

FILES = {
    "users": (
        "users.csv",
        ["ユーザーID", "氏名", "所属コード", "所属名", "グループ", "承認者ユーザーID", "セグメント"],
        ["id", "name", "department", "department_name", "group", "approver", "side"],
    ),
    "groups": ("groups.csv", ["グループ", "説明"], ["name", "description"]),
    "routes": ("routes.csv", ["グループ", "送信元", "送信先", "承認"], ["group", "from", "to", "approval"]),
}
APPROVAL_JA = {"required": "要", "none": "不要"}
APPROVAL_EN = {v: k for k, v in APPROVAL_JA.items()}


class ImportError_(Exception):
    """The product did not take the batch (or its export cannot be read)."""


def _row(kind, item):
    fields = FILES[kind][2]
    return [APPROVAL_JA.get(item[f], item[f]) if f == "approval" else item[f] for f in fields]


def batch_files(accounts, encoding="cp932"):
    """{file name: bytes} of a batch holding ``accounts`` (the whole set), SHA256SUMS included."""
    out = {}
    for kind, (name, header, _fields) in FILES.items():
        out[name] = csv_bytes(header, [_row(kind, i) for i in accounts.get(kind) or []], encoding)
    out["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(out.items())
    ).encode()
    return out


def read_export(export_dir):
    """The account set the product exported last."""
    accounts = {}
    for kind, (name, header, fields) in FILES.items():
        path = os.path.join(export_dir, name)
        try:
            with open(path, "rb") as handle:
                text, _enc = decode_text(handle.read())
        except OSError as exc:
            raise ImportError_(f"cannot read the export {path}: {exc}") from exc
        rows = list(csv.reader(io.StringIO(text)))
        if not rows or rows[0] != header:
            raise ImportError_(f"{path}: the header is not {','.join(header)}")
        accounts[kind] = [
            {f: (APPROVAL_EN.get(v, v) if f == "approval" else v) for f, v in zip(fields, row, strict=False)}
            for row in rows[1:]
            if any(row)
        ]
    return accounts


def hand_over(import_dir, batch_id, files):
    """Write the batch into the import folder, SHA256SUMS last; returns {file: sha256}."""
    folder = os.path.join(import_dir, batch_id)
    os.makedirs(folder, exist_ok=False)
    sums = {}
    for name in [n for n in files if n != "SHA256SUMS"] + ["SHA256SUMS"]:
        path = os.path.join(folder, name)
        with open(path + ".part", "wb") as handle:
            handle.write(files[name])
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(path + ".part", path)
        sums[name] = hashlib.sha256(files[name]).hexdigest()
    return sums


def wait_result(import_dir, batch_id, timeout):
    """The product's answer to the batch, or None when it has not answered within ``timeout``."""
    path = os.path.join(import_dir, f"{batch_id}.result.json")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            if time.monotonic() >= deadline:
                return None
        time.sleep(0.2)
