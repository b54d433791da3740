# Initial passwords of new accounts (§6-3(7) OPS-MOVE): generated here, delivered only through a
# file encrypted with ansible-vault under the vault id the operator names (Ansible's vault library in
# this process when it can be imported - the module runs on the controller - else the ansible-vault
# command; the file is the same either way). They never appear in a
# plan, a report, a log or a module result. The file is written before any account is created and
# read back on a re-run, so an interrupted run never leaves an account whose password is lost.
from __future__ import annotations

import os
import secrets
import string
import sys
import traceback

try:
    import yaml
except ImportError:  # reported by the module through missing_required_lib
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_YAML = True
    YAML_IMPORT_ERROR = None

KEY = "personnel_transfer_initial_passwords"
SYMBOLS = "!#%+-=?@"
# no look-alikes (0/O, 1/l/I) in a password that is read off paper
ALPHABET = {
    "upper": "".join(c for c in string.ascii_uppercase if c not in "IO"),
    "lower": "".join(c for c in string.ascii_lowercase if c not in "l"),
    "digit": "23456789",
    "symbol": SYMBOLS,
}


def generate_password(length=16):
    """A random password meeting AD complexity: every character class at least once."""
    if length < 12:
        raise ValueError("initial passwords are at least 12 characters")
    chars = [secrets.choice(pool) for pool in ALPHABET.values()]
    everything = "".join(ALPHABET.values())
    chars += [secrets.choice(everything) for _count in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


class VaultFileError(Exception):
    pass


def parse_vault_id(vault_id):
    """'label@source' as ansible-vault takes it; the source is a password file or a client script."""
    label, sep, source = (vault_id or "").partition("@")
    if not sep or not label or not source:
        raise VaultFileError(f"vault id must look like label@/path/to/password-file (got {vault_id!r})")
    if source == "prompt":
        raise VaultFileError(
            "vault id source 'prompt' cannot be used here: name a password file or client script"
        )
    if not os.path.exists(source):
        raise VaultFileError(f"vault password source {source} does not exist")
    return label, source


def ansible_vault_binary():
    """ansible-vault of the Python running Ansible (a venv), else the first on PATH."""
    candidate = os.path.join(os.path.dirname(sys.executable), "ansible-vault")
    if os.access(candidate, os.X_OK):
        return candidate
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        path = os.path.join(folder, "ansible-vault")
        if os.access(path, os.X_OK):
            return path
    raise VaultFileError("ansible-vault was not found next to the Python running Ansible or on PATH")


def vault_library():
    """(VaultLib, get_file_vault_secret, DataLoader) of the Ansible running this module, or None.
    Imported on use: a module's import must not need the controller's packages."""
    try:
        from ansible.parsing.dataloader import DataLoader
        from ansible.parsing.vault import VaultLib, get_file_vault_secret
    except ImportError:
        return None
    return VaultLib, get_file_vault_secret, DataLoader


class PasswordVault:
    """The encrypted password file. run_command is AnsibleModule.run_command (the ansible-vault
    command, used only when the vault library cannot be imported)."""

    def __init__(self, path, vault_id, run_command):
        self.path = path
        self.label, self.source = parse_vault_id(vault_id)
        self.vault_id = vault_id
        self.run_command = run_command
        self._library = vault_library()
        self._vault = None
        self.binary = None if self._library else ansible_vault_binary()

    def _lib_vault(self):
        """VaultLib holding the operator's secret, loaded once (a client script is run once)."""
        if self._vault is None:
            vault_lib, file_secret, data_loader = self._library
            try:
                secret = file_secret(filename=self.source, vault_id=self.label, loader=data_loader())
                secret.load()
            except Exception as exc:  # AnsibleError: an unreadable file or a failing script
                raise VaultFileError(f"cannot read the vault password of {self.label}: {exc}") from exc
            self._vault = (vault_lib([(self.label, secret)]), secret)
        return self._vault

    def read(self):
        if not os.path.exists(self.path):
            return {}
        if self._library:
            vault, _secret = self._lib_vault()
            try:
                with open(self.path, "rb") as handle:
                    out = vault.decrypt(handle.read()).decode("utf-8")
            except Exception as exc:  # AnsibleVaultError: wrong password, not a vault file
                raise VaultFileError(f"cannot decrypt {self.path} with vault id {self.label}: {exc}") from exc
        else:
            rc, out, err = self.run_command(
                [self.binary, "decrypt", "--vault-id", self.vault_id, "--output", "-", self.path]
            )
            if rc != 0:
                raise VaultFileError(f"cannot decrypt {self.path} with vault id {self.label}: {err.strip()}")
        data = yaml.safe_load(out) or {}
        return dict(data.get(KEY) or {})

    def write(self, entries, title):
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, mode=0o700, exist_ok=True)
        body = f"# {title}\n" + yaml.safe_dump({KEY: entries}, allow_unicode=True, sort_keys=True)
        tmp = f"{self.path}.tmp"
        if self._library:
            vault, secret = self._lib_vault()
            try:
                encrypted = vault.encrypt(body, secret=secret, vault_id=self.label)
            except Exception as exc:
                raise VaultFileError(f"could not encrypt {self.path}: {exc}") from exc
            descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(encrypted)
        else:
            rc, _out, err = self.run_command(
                [
                    self.binary,
                    "encrypt",
                    "--vault-id",
                    self.vault_id,
                    "--encrypt-vault-id",
                    self.label,
                    "--output",
                    tmp,
                    "-",
                ],
                data=body,
                binary_data=False,
            )
            if rc != 0:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise VaultFileError(f"ansible-vault could not encrypt {self.path}: {err.strip()}")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
