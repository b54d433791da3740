# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One side's drop of a transfer system, over SFTP with the OpenSSH client (``sftp -b``): the
user's ``/outbox/`` (files to send) and ``/inbox/`` (files received)."""

import os
import shlex


class DropError(Exception):
    """An SFTP command to a drop failed."""


class Drop:
    def __init__(self, run_command, name, host, user, key_file, port=22, known_hosts=None, timeout=15):
        self.run_command = run_command  # AnsibleModule.run_command
        self.name = name
        self.target = f"{user}@{host}"
        options = [
            "-o",
            "BatchMode=yes",
            "-o",
            f"ConnectTimeout={int(timeout)}",
            "-i",
            key_file,
            "-P",
            str(port),
        ]
        if known_hosts:
            options += ["-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=yes"]
        else:
            options += ["-o", "StrictHostKeyChecking=accept-new"]
        self.options = options

    def _batch(self, commands):
        script = "".join(f"{c}\n" for c in commands)
        rc, out, err = self.run_command(
            ["sftp", *self.options, "-b", "-", self.target], data=script, binary_data=True
        )
        if rc != 0:
            raise DropError(f"{self.name} ({self.target}): sftp failed (rc {rc}): {err.strip()[-300:]}")
        return out

    def put(self, local, remote):
        self._batch([f"put {shlex.quote(local)} {shlex.quote(remote)}"])

    def get(self, remote, local):
        self._batch([f"get {shlex.quote(remote)} {shlex.quote(local)}"])

    def remove(self, remote):
        self._batch([f"-rm {shlex.quote(remote)}"])

    def listing(self, folder):
        """Names in ``folder`` (``ls -1``; sftp echoes each command, which is dropped)."""
        out = self._batch([f"ls -1 {shlex.quote(folder)}"])
        names = []
        for line in out.splitlines():
            line = line.strip()
            if not line or line.startswith("sftp>"):
                continue
            names.append(os.path.basename(line))
        return names
