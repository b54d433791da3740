"""Initial passwords (hr_transfer_secrets.py): complexity, and the vault file written and read back
with the real ansible-vault under the operator's vault id."""

from __future__ import annotations

import string
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
from ansible.module_utils.hr_transfer import passwords as hs  # noqa: E402


def run_command(args, data=None, binary_data=False):
    """What AnsibleModule.run_command does with these arguments."""
    if data is not None and not binary_data:
        data += "\n"
    proc = subprocess.run(args, input=data, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_passwords_meet_complexity_and_differ():
    seen = set()
    for _ in range(200):
        pw = hs.generate_password(16)
        assert len(pw) == 16
        assert any(c in string.ascii_uppercase for c in pw) and any(c in string.ascii_lowercase for c in pw)
        assert any(c in string.digits for c in pw) and any(c in hs.SYMBOLS for c in pw)
        assert not set(pw) & set("0O1lI")
        seen.add(pw)
    assert len(seen) == 200
    with pytest.raises(ValueError):
        hs.generate_password(8)


def test_vault_file_round_trip(tmp_path):
    secret = tmp_path / "pass"
    secret.write_text("correct horse battery staple\n")
    path = tmp_path / "out" / "initial_passwords.vault.yml"
    vault = hs.PasswordVault(str(path), f"hr2027@{secret}", run_command)
    assert vault.read() == {}
    entries = {"270001": {"account": "u270001", "name": "髙橋　蓮", "password": hs.generate_password()}}
    vault.write(entries, "人事異動 初期パスワード")
    raw = path.read_text()
    assert raw.startswith("$ANSIBLE_VAULT;1.2;AES256;hr2027") and entries["270001"]["password"] not in raw
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert hs.PasswordVault(str(path), f"hr2027@{secret}", run_command).read() == entries
    wrong = tmp_path / "wrong"
    wrong.write_text("nope\n")
    with pytest.raises(hs.VaultFileError, match="cannot decrypt"):
        hs.PasswordVault(str(path), f"hr2027@{wrong}", run_command).read()


@pytest.mark.parametrize("vault_id", ["", "hr2027", "@/tmp/x", "hr@prompt", "hr@/nonexistent/pass"])
def test_bad_vault_ids(vault_id):
    with pytest.raises(hs.VaultFileError):
        hs.parse_vault_id(vault_id)


def test_in_process_and_ansible_vault_read_each_others_files(tmp_path, monkeypatch):
    """The file written in-process is the file ansible-vault writes: each reads the other's."""
    secret = tmp_path / "pass"
    secret.write_text("correct horse battery staple\n")
    vault_id = f"hr2027@{secret}"
    entries = {"270002": {"account": "u270002", "name": "佐藤　花子", "password": hs.generate_password()}}
    command_line = hs.PasswordVault(str(tmp_path / "x.vault.yml"), vault_id, run_command)
    assert command_line.binary is None  # a plain password file: encrypted in this process
    in_process = tmp_path / "lib.vault.yml"
    hs.PasswordVault(str(in_process), vault_id, run_command).write(entries, "初期パスワード")
    cli = ROOT / ".venv" / "bin" / "ansible-vault"
    out = subprocess.run(
        [str(cli), "decrypt", "--vault-id", vault_id, "--output", "-", str(in_process)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert entries["270002"]["password"] in out.stdout
    monkeypatch.setattr(hs, "file_password", lambda source: None)
    command = hs.PasswordVault(str(tmp_path / "cli.vault.yml"), vault_id, run_command)
    assert command.binary and command.read() == {}
    command.write(entries, "初期パスワード")
    monkeypatch.undo()
    assert hs.PasswordVault(str(tmp_path / "cli.vault.yml"), vault_id, run_command).read() == entries
    assert hs.PasswordVault(str(in_process), vault_id, run_command).read() == entries
