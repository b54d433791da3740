"""personnel_transfer: the new hires exist in the lab directory where the transfer puts them."""

from __future__ import annotations

import os
import ssl
import subprocess
from pathlib import Path

import ldap3
import pytest
import yaml

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
CA = PROJECT / "lab" / "run" / "ca" / "ca.crt"
BASE = "DC=lab,DC=jichitai,DC=test"
HIRES = {"u279901": "110100", "u279902": "120200"}


@pytest.fixture(scope="module")
def directory(lab_secret):
    tls = ldap3.Tls(ca_certs_file=str(CA), validate=ssl.CERT_REQUIRED)
    server = ldap3.Server("ldaps://127.0.0.1:636", use_ssl=True, tls=tls, connect_timeout=10)
    conn = ldap3.Connection(
        server, f"CN=Administrator,CN=Users,{BASE}", lab_secret("vault_lab_ad_admin_password"), auto_bind=True
    )
    yield conn
    conn.unbind()


def entry(conn, account):
    conn.search(BASE, f"(sAMAccountName={account})", attributes=["userAccountControl", "memberOf", "title"])
    assert len(conn.entries) == 1, f"{account} not in the directory"
    return conn.entries[0]


@pytest.mark.parametrize("account,department", sorted(HIRES.items()))
def test_each_hire_is_an_enabled_account_in_its_department_ou_and_staff_group(directory, account, department):
    found = entry(directory, account)
    assert found.entry_dn.endswith(f"OU={department},OU=Departments,{BASE}")
    assert int(found.userAccountControl.value) & 2 == 0, "the account is still disabled after the cutover"
    assert str(found.title.value) == "主事"
    groups = [str(g) for g in found.memberOf.values]
    assert any(g.startswith("CN=") and f"OU={department}," in g for g in groups), groups


def test_initial_passwords_are_only_in_the_vault_encrypted_file():
    out = EPHEMERAL / "personnel" / "molecule-2027-04"
    secret_file = out / "initial_passwords.vault.yml"
    assert secret_file.read_text(encoding="utf-8").startswith("$ANSIBLE_VAULT;")
    shown = subprocess.run(
        [str(PROJECT / ".venv" / "bin" / "ansible-vault"), "view",
         "--vault-password-file", str(EPHEMERAL / "hr-vault-pass"), str(secret_file)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    for account in HIRES:
        assert account in shown, f"no initial password for {account}"
    passwords = {
        str(value)
        for value in _leaves(yaml.safe_load(shown))
        if isinstance(value, str) and len(value) >= 8 and value not in HIRES
    }
    assert passwords
    for path in out.rglob("*"):
        if path.is_file() and path != secret_file:
            text = path.read_bytes().decode("utf-8", errors="ignore")
            assert not [p for p in passwords if p in text], f"an initial password is in {path}"


def _leaves(data):
    if isinstance(data, dict):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value)
    else:
        yield data


def test_import_files_carry_their_checksums():
    imports = EPHEMERAL / "personnel" / "molecule-2027-04" / "import"
    sums = (imports / "SHA256SUMS").read_text(encoding="ascii").split("\n")
    named = [line.split("  ", 1)[1] for line in sums if line]
    assert named and all((imports / name).is_file() for name in named)


def test_the_cutover_with_no_prepare_record_prepared_first_and_recorded_it():
    """The converge is a cutover with no record of a prepare run: it prepares first (the hires above
    exist) and leaves the record, so that a second cutover of the same inputs skips the prepare step."""
    record = yaml.safe_load((EPHEMERAL / "personnel" / "molecule-2027-04" / "prepared.yml").read_text())
    assert len(record["personnel_transfer_prepared"]) == 64
    assert record["personnel_transfer_prepared_at"]
