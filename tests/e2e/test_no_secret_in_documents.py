"""No lab secret, nor its SHA-256, in any document an e2e flow leaves in the plan store.

The plan and the report are handed to the city. Every lab secret is collected - the lab vault password
file, every value of the lab vault (Kea API, LDAP bind, SMB, UPS passwords and the SNMP write
community, the lab approver's private key), every literal secret-looking variable of inventories/lab -
and each, with its SHA-256 (whole and as the 16-digit prefix the documents print), is looked for in
every file under the store (plan.*, report.*, approval.json, attempts.jsonl, journal/, reports/; the
xlsx member by member) after two flows run plan -> approve -> apply:

- dhcp_sync on the lab's Kea pair, with the lab inventory (whose directory holds the vault password
  file) as the inventory source, in a snapshot of the project (as tests/e2e/test_workplan_dhcp.py);
- the fixture playbook of tests/e2e/test_workplan_flow.py, no lab needed.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import zipfile
from pathlib import Path

import pytest
import test_workplan_dhcp as dhcp
import test_workplan_flow as flow
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, VaultSecret

ROOT = Path(__file__).resolve().parents[2]
LAB_INVENTORY = ROOT / "inventories" / "lab"
LAB_VAULT_PASS = LAB_INVENTORY / ".vault-pass.lab"
SECRET_NAME = re.compile(r"pass(word|wd)?$|secret|community|token|private_key$|_key$|bind_pw", re.IGNORECASE)
HEADER = b"$ANSIBLE_VAULT"


def _leaves(data, prefix=""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, f"{prefix}[{i}]")
    elif data is not None and not isinstance(data, bool):
        yield prefix, data


def lab_secrets() -> dict[str, str]:
    """name -> value of every lab secret (names only ever appear in a failure message)."""
    password = LAB_VAULT_PASS.read_bytes()
    vault = VaultLib([("lab", VaultSecret(password.strip()))])
    loader = DataLoader()
    loader.set_vault_secrets([("lab", VaultSecret(password.strip()))])
    secrets = Hidden({"lab vault password file": password.decode()})
    for path in sorted(LAB_INVENTORY.rglob("*.y*ml")):
        raw = path.read_bytes()
        where = path.relative_to(ROOT)
        if raw.lstrip().startswith(HEADER):  # a vault file: every value in it is secret
            plain = yaml.safe_load(vault.decrypt(raw)) or {}
            secrets.update({f"{where}:{name}": str(value) for name, value in _leaves(plain)})
            continue
        for name, value in _leaves(loader.load_from_file(str(path)) or {}):
            inline = "Encrypted" in type(value).__name__  # an inline !vault value, decrypted by str()
            value = str(value)
            # a template names a vault value (read above); short literals are public (community "public")
            literal = "{{" not in value and len(value) >= 8
            if inline or (literal and SECRET_NAME.search(name.rsplit(".", 1)[-1])):
                secrets[f"{where}:{name}"] = value
    assert len(secrets) >= 7, sorted(secrets)  # the password file and the six values of the lab vault
    return secrets


def _sha(data: str) -> str:
    return hashlib.sha256(data.encode()).hexdigest()


def needles(secrets: dict[str, str]) -> list[tuple[str, str]]:
    """(what, text) pairs to look for: each secret as written (raw, HTML- and JSON-escaped), every
    line of a multi-line one (a key's body), and the SHA-256 of each, whole and its 16-digit prefix."""
    out = []
    for name, value in secrets.items():
        forms = {value, value.strip()}
        forms |= {line.strip() for line in value.splitlines() if len(line.strip()) >= 16}
        for form in sorted(forms):
            for text in {form, html.escape(form), json.dumps(form, ensure_ascii=False)[1:-1]}:
                out.append((name, text))
        for form in {value, value.strip(), value.strip() + "\n"}:
            digest = _sha(form)
            out += [(f"SHA-256 of {name}", digest), (f"SHA-256 prefix of {name}", digest[:16])]
            out.append((f"SHA-256 of {name}", digest.upper()))
    return out


def documents(store: Path):
    """(name, text) of every file under the store; an xlsx member by member."""
    for path in sorted(store.rglob("*")):
        if not path.is_file():
            continue
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as book:
                for member in book.namelist():
                    yield f"{path}!{member}", book.read(member).decode("utf-8", "replace")
        else:
            yield str(path), path.read_bytes().decode("utf-8", "replace")


def leaks(store: Path, secrets: dict[str, str]) -> tuple[list[str], list[str]]:
    found, scanned = [], []
    wanted = needles(secrets)
    for name, text in documents(store):
        scanned.append(name)
        for variant in {text, html.unescape(text)}:
            found += [
                f"{what} in {os.path.relpath(name, store)}" for what, needle in wanted if needle in variant
            ]
    return sorted(set(found)), scanned


def assert_no_secret(store: Path, secrets: dict[str, str]) -> list[str]:
    found, scanned = leaks(store, secrets)
    if found:  # names of the secrets and of the files only; no traceback, whose frames hold the values
        pytest.fail("lab secrets in the documents:\n" + "\n".join(found), pytrace=False)
    return scanned


class Hidden(dict):
    """The secrets, shown in a failing test's frame as their number only."""

    def __repr__(self):
        return f"<{len(self)} lab secrets, values hidden>"

    def __or__(self, other):
        return Hidden(dict(self) | other)


@pytest.fixture(scope="module")
def secrets():
    return Hidden(lab_secrets())


def test_the_scan_finds_a_secret_and_its_digest(tmp_path, secrets):
    """The scan itself can fail: a password's digest in a json, a key line in an xlsx member."""
    (tmp_path / "plan.json").write_text(json.dumps({"sha256": _sha(secrets["lab vault password file"])}))
    key = next(v for v in secrets.values() if "PRIVATE KEY" in v)
    with zipfile.ZipFile(tmp_path / "plan.xlsx", "w") as book:
        book.writestr("xl/sharedStrings.xml", html.escape(key.splitlines()[2]))
    found, _ = leaks(tmp_path, secrets)
    assert "SHA-256 of lab vault password file in plan.json" in found
    assert any(f.endswith("plan.xlsx!xl/sharedStrings.xml") and "approver" in f for f in found), found


@pytest.mark.lab
@pytest.mark.slow
def test_dhcp_flow_documents_hold_no_lab_secret(lab, lab_vars, secrets, tmp_path_factory):
    base = tmp_path_factory.mktemp("no-secret-dhcp")
    clients = dhcp.kea_clients(lab_vars)
    dhcp.wait_ha(clients, dict.fromkeys(dhcp.PAIR, dhcp.HEALTHY))
    saved = {host: clients[host].config_get() for host in dhcp.PAIR}
    try:
        project = dhcp.snapshot_project(base)
        wanted = dhcp.ledger(base, dhcp.NEW)
        plan_id, folder, plan = dhcp.plan(project, wanted)
        # the lab inventory, whose directory holds the vault password file, is part of the basis
        assert "inventories/lab" in [entry["path"] for entry in plan["basis"]["inventory"]]
        rc, text = dhcp.apply(project, wanted, plan_id)
        assert rc == 0, text
    finally:
        for host in dhcp.PAIR:
            if clients[host].config_get() != saved[host]:
                clients[host].config_set(saved[host])
                clients[host].config_write()
        dhcp.wait_ha(clients, dict.fromkeys(dhcp.PAIR, dhcp.HEALTHY), timeout=60)
    scanned = assert_no_secret(project / "work", secrets)
    names = {os.path.basename(name.split("!")[0]) for name in scanned}
    for name in ("plan.json", "plan.md", "plan.html", "plan.xlsx", "report.json", "report.md"):
        assert name in names, sorted(names)
    assert {"report.html", "report.xlsx", "approval.json"} <= names, sorted(names)


@pytest.mark.slow
def test_file_flow_documents_hold_no_lab_secret(tmp_path, secrets):
    project = flow.Project(tmp_path)
    plan_id = project.plan()
    project.approve(plan_id)
    out = project.apply(plan_id)
    assert out.returncode == 0, out.text
    scanned = assert_no_secret(project.dir / "work", secrets | {"fixture secret": flow.SECRET})
    assert {"plan.xlsx", "report.html", "approval.json"} <= {Path(n.split("!")[0]).name for n in scanned}
