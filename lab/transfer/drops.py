"""The SFTP drops of the transfer stand-in, on the lab's namespace hosts (lab/components/60-hosts.sh).

Each side of a system is a namespace host whose sshd serves `internal-sftp` to the drop users,
chrooted to /srv/xfer/<user> (seen by the user as /outbox and /inbox). The stand-in reaches those
folders from the controller through /proc/<host PID 1>/root, i.e. inside the host's own mount
namespace where its overlay root is mounted; nothing is copied over the network.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

DROP_ROOT = "srv/xfer"
SSHD_CONF = "etc/ssh/sshd_config.d/zz-transfer.conf"
KEYS_DIR = "etc/ssh/transfer_keys"
SSHD_MATCH = """# Drop users of the lab's file-transfer stand-in (lab/components/70-transfer.sh): SFTP only,
# chrooted to their drop, key authentication only.
Match User {users}
    ChrootDirectory /srv/xfer/%u
    ForceCommand internal-sftp
    AuthorizedKeysFile /etc/ssh/transfer_keys/%u
    AllowTcpForwarding no
    X11Forwarding no
    PermitTTY no
"""


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def host_init_pid(lab_run: Path, host: str) -> int | None:
    """PID of the host's PID 1 (host-init.sh), the child of the recorded `unshare --fork`."""
    try:
        pid = int((lab_run / "pids" / f"host-{host}.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    kids = _children(pid)
    return kids[0] if kids else None


def host_root(lab_run: Path, host: str) -> Path | None:
    """The host's merged root filesystem as the controller can reach it, or None when the host is down."""
    pid = host_init_pid(lab_run, host)
    if pid is None:
        return None
    root = Path(f"/proc/{pid}/root") / str(lab_run / "hosts" / host / "root").lstrip("/")
    try:
        return root if (root / "etc" / "hostname").read_text().strip() == host else None
    except OSError:
        return None


def sshd_pid(lab_run: Path, host: str) -> int | None:
    pid = host_init_pid(lab_run, host)
    for child in _children(pid) if pid else []:
        try:
            if Path(f"/proc/{child}/comm").read_text().strip() == "sshd":
                return child
        except OSError:
            continue
    return None


def _ensure_line(path: Path, key: str, line: str) -> bool:
    lines = path.read_text().splitlines() if path.exists() else []
    kept = [x for x in lines if x.split(":", 1)[0] != key]
    new = [*kept, line]
    if new == lines:
        return False
    tmp = path.with_name(path.name + ".transfer-tmp")
    tmp.write_text("\n".join(new) + "\n")
    os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
    os.replace(tmp, path)
    return True


def _write_if_changed(path: Path, text: str, mode: int) -> bool:
    if path.exists() and path.read_text() == text:
        os.chmod(path, mode)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    return True


def setup_host(lab_run: Path, host: str, user: str, uid: int, pubkey: str, reset: bool) -> bool:
    """Make `user` a chrooted SFTP drop user on `host`; True when sshd had to reload its configuration.
    reset: empty the user's outbox and inbox (a fresh stand-in starts with empty drops)."""
    root = host_root(lab_run, host)
    if root is None:
        raise RuntimeError(f"host {host} is not running (lab/components/60-hosts.sh up)")
    _ensure_line(root / "etc/passwd", user, f"{user}:x:{uid}:{uid}:file transfer drop:/:/usr/sbin/nologin")
    _ensure_line(root / "etc/group", user, f"{user}:x:{uid}:")
    if (root / "etc/shadow").exists():  # "*": no password, not locked (a "!" would refuse keys too)
        _ensure_line(root / "etc/shadow", user, f"{user}:*:20000:0:99999:7:::")
    _write_if_changed(root / KEYS_DIR / user, pubkey.strip() + "\n", 0o644)
    changed = _write_if_changed(root / SSHD_CONF, SSHD_MATCH.format(users=user), 0o644)
    base = root / DROP_ROOT
    for d in (base, base / user):  # a ChrootDirectory and its parents: root-owned, not writable by others
        d.mkdir(parents=True, exist_ok=True)
        os.chown(d, 0, 0)
        os.chmod(d, 0o755)
    for box in ("outbox", "inbox"):
        d = base / user / box
        d.mkdir(exist_ok=True)
        if reset:
            for f in d.iterdir():
                f.unlink()
        os.chown(d, uid, uid)
        os.chmod(d, 0o750)
    if changed:
        pid = sshd_pid(lab_run, host)
        if pid:
            os.kill(pid, signal.SIGHUP)
    return changed


def drop_ready(lab_run: Path, host: str, user: str) -> bool:
    root = host_root(lab_run, host)
    return bool(root) and (root / DROP_ROOT / user / "outbox").is_dir() and (root / SSHD_CONF).exists()


def user_dirs(lab_run: Path, host: str) -> dict[str, Path]:
    """user -> drop folder on a host ({} when the host is down)."""
    root = host_root(lab_run, host)
    if root is None:
        return {}
    try:
        return {d.name: d for d in (root / DROP_ROOT).iterdir() if (d / "outbox").is_dir()}
    except OSError:
        return {}


def waiting(outbox: Path) -> list[Path]:
    """Files waiting in an outbox (hidden and partial uploads excluded)."""
    try:
        return sorted(
            f
            for f in outbox.iterdir()
            if f.is_file() and not f.name.startswith(".") and not f.name.endswith((".part", ".filepart"))
        )
    except OSError:
        return []


def deliver(inbox: Path, name: str, data: bytes) -> None:
    """Write a file into an inbox under a hidden name, owned like the inbox, then rename it into place."""
    st = inbox.stat()
    tmp = inbox / f".{name}.part"
    tmp.write_bytes(data)
    os.chown(tmp, st.st_uid, st.st_gid)
    os.chmod(tmp, 0o640)
    os.replace(tmp, inbox / name)
