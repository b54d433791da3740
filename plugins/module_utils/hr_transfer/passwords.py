# Initial passwords of new accounts (§6-3(7) OPS-MOVE): generated here, delivered only through a
# file encrypted with ansible-vault under the vault id the operator names. They never appear in a
# plan, a report, a log or a module result. The file is written before any account is created and
# read back on a re-run, so an interrupted run never leaves an account whose password is lost.
# The file is encrypted in this process (the vault 1.2 AES256 format, with the cryptography library
# Ansible itself uses) when the vault id names a plain password file; a password script, or a module
# Python without cryptography, goes through the ansible-vault command. Either reads the other's file.
from __future__ import annotations

import binascii
import hmac
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

try:
    from cryptography.hazmat.primitives import hashes, padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.hmac import HMAC
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
except ImportError:  # the ansible-vault command does the work
    HAS_CRYPTOGRAPHY = False
else:
    HAS_CRYPTOGRAPHY = True

KEY = "personnel_transfer_initial_passwords"
VAULT_HEADER = b"$ANSIBLE_VAULT"
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


def _vault_keys(password, salt):
    """AES key, HMAC key and counter block of ansible-vault's AES256 cipher (PBKDF2-SHA256, 10,000 rounds)."""
    derived = PBKDF2HMAC(algorithm=hashes.SHA256(), length=80, salt=salt, iterations=10000).derive(password)
    return derived[:32], derived[32:64], derived[64:80]


def vault_encrypt(plaintext, password, label):
    """PLAINTEXT (bytes) as an ansible-vault 1.2 AES256 file under vault id LABEL (bytes out)."""
    salt = os.urandom(32)
    key, mac_key, counter = _vault_keys(password, salt)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CTR(counter)).encryptor()
    ciphertext = encryptor.update(padder.update(plaintext) + padder.finalize()) + encryptor.finalize()
    mac = HMAC(mac_key, hashes.SHA256())
    mac.update(ciphertext)
    body = binascii.hexlify(
        b"\n".join([binascii.hexlify(salt), binascii.hexlify(mac.finalize()), binascii.hexlify(ciphertext)])
    )
    lines = [b";".join([VAULT_HEADER, b"1.2", b"AES256", label.encode("utf-8")])]
    lines += [body[i : i + 80] for i in range(0, len(body), 80)]
    return b"\n".join(lines + [b""])


def vault_decrypt(data, password):
    """The plaintext of an ansible-vault AES256 file (1.1 or 1.2); VaultFileError when the password is
    wrong or the file is not a vault file."""
    lines = data.strip().splitlines()
    header = lines[0].strip().split(b";") if lines else []
    if len(header) < 3 or header[0] != VAULT_HEADER or header[2].strip() != b"AES256":
        raise VaultFileError("not an ansible-vault AES256 file")
    try:
        envelope = binascii.unhexlify(b"".join(line.strip() for line in lines[1:]))
        salt, crypted_mac, ciphertext = envelope.split(b"\n", 2)
        salt, crypted_mac, ciphertext = (binascii.unhexlify(part) for part in (salt, crypted_mac, ciphertext))
    except (ValueError, binascii.Error) as exc:
        raise VaultFileError(f"not a readable ansible-vault file: {exc}") from exc
    key, mac_key, counter = _vault_keys(password, salt)
    mac = HMAC(mac_key, hashes.SHA256())
    mac.update(ciphertext)
    if not hmac.compare_digest(mac.finalize(), crypted_mac):
        raise VaultFileError("HMAC verification failed (wrong vault password?)")
    decryptor = Cipher(algorithms.AES(key), modes.CTR(counter)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(decryptor.update(ciphertext) + decryptor.finalize()) + unpadder.finalize()


def file_password(source):
    """The vault password a plain password file holds (as ansible-vault reads it), or None when the
    source is a script or itself vault-encrypted: the ansible-vault command handles those."""
    if not HAS_CRYPTOGRAPHY or not os.path.isfile(source) or os.access(source, os.X_OK):
        return None
    with open(source, "rb") as handle:
        password = handle.read().strip()
    if not password or password.startswith(VAULT_HEADER):
        return None
    return password


class PasswordVault:
    """The encrypted password file. run_command is AnsibleModule.run_command (the ansible-vault
    command, used only when the password source is not a plain file or cryptography is missing)."""

    def __init__(self, path, vault_id, run_command):
        self.path = path
        self.label, self.source = parse_vault_id(vault_id)
        self.vault_id = vault_id
        self.run_command = run_command
        self._password = file_password(self.source)
        self.binary = None if self._password else ansible_vault_binary()

    def read(self):
        if not os.path.exists(self.path):
            return {}
        if self._password:
            with open(self.path, "rb") as handle:
                data = handle.read()
            try:
                out = vault_decrypt(data, self._password).decode("utf-8")
            except (VaultFileError, ValueError) as exc:
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
        if self._password:
            encrypted = vault_encrypt(body.encode("utf-8"), self._password, self.label)
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
