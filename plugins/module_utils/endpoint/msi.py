# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an MSI says of itself: its Property table as msitools prints it (``msiinfo export x.msi
Property``, Debian package msitools) - ProductCode, ProductVersion, ProductName."""

from __future__ import annotations

import subprocess

WANTED = ("ProductCode", "ProductVersion", "ProductName", "Manufacturer", "UpgradeCode")


class MsiError(Exception):
    pass


def parse_properties(text: str) -> dict:
    """{Property: Value} from msiinfo's export: a tab-separated table whose first three lines are the
    column names, their types and the table name with its key."""
    lines = text.replace("\r\n", "\n").split("\n")
    if len(lines) < 3 or lines[0].split("\t")[:2] != ["Property", "Value"]:
        raise MsiError("msiinfo の出力が Property 表ではありません")
    props = {}
    for line in lines[3:]:
        if not line:
            continue
        name, value = (line.split("\t", 1) + [""])[:2]
        props[name] = value
    return props


def _run(args):
    try:
        done = subprocess.run(args, capture_output=True, check=False, timeout=60)
    except FileNotFoundError:
        return 127, "", "msiinfo が見つかりません（Debian パッケージ msitools）"
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


def read_properties(path: str, runner=None, msiinfo="msiinfo") -> dict:
    """The MSI's Property table. runner(args) -> (rc, stdout, stderr): an Ansible module passes its
    run_command; default subprocess."""
    rc, out, err = (runner or _run)([msiinfo, "export", path, "Property"])
    if rc != 0:
        raise MsiError(f"msiinfo export が失敗しました（rc={rc}）: {(err or out).strip()[:300]}")
    return parse_properties(out)


def identity(props: dict) -> dict:
    """The fields the catalogue is checked against; ProductCode upper case."""
    return {
        "product_code": (props.get("ProductCode") or "").strip().upper(),
        "product_version": (props.get("ProductVersion") or "").strip(),
        "product_name": (props.get("ProductName") or "").strip(),
    }
