# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Installers on the distribution share checked against the catalogue, and distribution packages
built from them (REQUIREMENTS OPS-ENDPT §6-3(3)④⑤).

verify: each entry's installer is a regular file under the share, its sha256 is the entry's, and an
MSI's ProductCode and ProductVersion (its Property table) are the entry's product_id and version.
package_files: the files of one distribution package - the installer, the catalogue entry and the
SKYSEA distribution import file.
"""

from __future__ import annotations

import hashlib
import json
import os

from ansible.module_utils.endpoint import msi
from ansible.module_utils.ledger.encoding import csv_bytes

# The SKYSEA Client View software-distribution import, as this project writes it: the columns follow the
# shape of the product's documented distribution-settings import (one row per distribution), standing in
# for the exact layout of the city's SKYSEA version, which is confirmed against its manual before import.
SKYSEA_COLUMNS = (
    "配布名",
    "ソフトウェア名",
    "バージョン",
    "種別",
    "配布ファイル",
    "インストーラ形式",
    "実行コマンド",
    "成功とみなす終了コード",
    "再起動が必要な終了コード",
    "製品コード",
    "SHA-256",
    "配布先接続系",
    "配布先所属コード",
    "配布先端末",
    "ライセンス台帳",
)
SKYSEA_FILE = "skysea_distribution.csv"
ENTRY_FILE = "catalogue_entry.json"
ENCODINGS = ("cp932", "utf-8-sig")


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def installer_path(share: str, entry: dict) -> str:
    return os.path.join(share, *entry["installer"].split("/"))


def verify(entries, share, runner=None, msiinfo="msiinfo") -> tuple[list, list]:
    """(one result per entry, problems naming each bad entry by id). Reads only."""
    results, problems = [], []
    root = os.path.realpath(share)
    for entry in entries:
        path = installer_path(share, entry)
        found = dict.fromkeys(("sha256", "product_code", "product_version", "product_name"))
        found.update(id=entry["id"], installer=entry["installer"], path=path, ok=False)
        bad = []
        real = os.path.realpath(path)
        if not os.path.isdir(root):
            bad.append(f"配布共有がありません（{share}）")
        elif os.path.commonpath([root, real]) != root:
            bad.append(f"インストーラが配布共有の外を指しています（{entry['installer']}）")
        elif not os.path.isfile(real):
            bad.append(f"インストーラがありません（{entry['installer']}）")
        else:
            found["sha256"] = sha256_of(real)
            if found["sha256"] != entry["sha256"]:
                bad.append(f"sha256 が違います（カタログ {entry['sha256']}、ファイル {found['sha256']}）")
            if entry["installer_type"] == "msi":
                try:
                    ident = msi.identity(msi.read_properties(real, runner, msiinfo))
                except msi.MsiError as exc:
                    bad.append(f"MSI が読めません: {exc}")
                else:
                    found.update(ident)
                    if ident["product_code"] != entry["product_id"]:
                        bad.append(f"ProductCode が違います（カタログ {entry['product_id']}、"
                                   f"MSI {ident['product_code'] or '(なし)'}）")  # fmt: skip
                    if ident["product_version"] != entry["version"]:
                        bad.append(f"ProductVersion が違います（カタログ {entry['version']}、"
                                   f"MSI {ident['product_version'] or '(なし)'}）")  # fmt: skip
        found["ok"] = not bad
        found["problems"] = bad
        problems.extend(f"{entry['id']}（{entry['name']}）: {b}" for b in bad)
        results.append(found)
    return results, problems


def command_line(entry) -> str:
    name = entry["installer"].rsplit("/", 1)[-1]
    if entry["installer_type"] == "msi":
        return " ".join(x for x in ("msiexec /i", f'"{name}"', "/qn /norestart", entry["arguments"]) if x)
    return " ".join(x for x in (f'"{name}"', entry["arguments"]) if x)


def skysea_row(entry) -> list:
    on = entry["install_on"]
    return [
        f"{entry['id']}_{entry['version']}",
        entry["name"],
        entry["version"],
        entry["kind_ja"],
        entry["installer"].rsplit("/", 1)[-1],
        entry["installer_type"].upper(),
        command_line(entry),
        " ".join(str(c) for c in entry["return_codes"]),
        "3010" if 3010 in entry["return_codes"] else "",
        entry["product_id"],
        entry["sha256"],
        " ".join(entry["segments"]),
        "全所属" if on["all"] else " ".join(on["departments"]),
        " ".join(on["hosts"]),
        (entry.get("licence") or {}).get("register", ""),
    ]


def skysea_csv(entries, encoding="cp932") -> bytes:
    """The SKYSEA distribution import file of ENTRIES; raises ValueError naming the entry and the
    character ENCODING cannot carry."""
    for entry in entries:
        for column, cell in zip(SKYSEA_COLUMNS, skysea_row(entry), strict=True):
            try:
                str(cell).encode(encoding)
            except UnicodeEncodeError as exc:
                ch = str(cell)[exc.start]
                raise ValueError(f"{entry['id']}: {column} の「{ch}」は {encoding} で書けません") from None
    return csv_bytes(list(SKYSEA_COLUMNS), [skysea_row(e) for e in entries], encoding)


def package_dir(entry) -> str:
    return f"{entry['id']}-{entry['version']}"


def package_files(entry, share, encoding="cp932") -> dict:
    """{relative path: ('copy', source path) or ('bytes', content)} of ENTRY's distribution package."""
    folder = package_dir(entry)
    name = entry["installer"].rsplit("/", 1)[-1]
    record = json.dumps(entry, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return {
        f"{folder}/{name}": ("copy", installer_path(share, entry)),
        f"{folder}/{ENTRY_FILE}": ("bytes", record.encode("utf-8")),
        f"{folder}/{SKYSEA_FILE}": ("bytes", skysea_csv([entry], encoding)),
    }
