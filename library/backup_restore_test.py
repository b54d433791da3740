#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: backup_restore_test
short_description: Restore a share from a backup generation into a scratch folder and compare it
description:
  - "The monthly restore test (REQUIREMENTS OPS-BACKUP §6-3(6)): one share (O(source)), or a sample of its
    folders (O(include)), restored from a generation (O(snapshot), default the newest) into a fresh folder
    under O(scratch), then compared with the source file by file - size, and BLAKE3 (SHA-256 where the
    blake3 library is missing) when the sizes agree."
  - Each difference is named with its path - C(missing) (at the source, not restored), C(extra) (restored,
    not at the source), C(changed) (size or content). A file changed at the source after the generation
    was taken is a difference too.
  - It runs on the host of the engine and returns the test's record; the controller writes it (JSON, for the
    monthly report) and the リストア試験記録 (C(backup_restore_test_report)). The scratch folder is removed
    afterwards unless O(keep_scratch).
  - It writes only into O(scratch); a scratch folder inside the source, or holding it, is
    refused, so the restore can never land on the data it tests.
  - In check mode nothing is restored; the result says what would be.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  job:
    description: The backup job's name.
    type: str
    required: true
  repository:
    description: The job's restic repository.
    type: str
    required: true
  password:
    description: The repository's password (from the vault); passed to restic as a file only.
    type: str
    required: true
  source:
    description: The share to test, an absolute path that is (or is inside) one of the generation's paths.
    type: path
    required: true
  snapshot:
    description: The generation, C(latest) or at least 8 characters of its id.
    type: str
    default: latest
  include:
    description: A sample - folders or files relative to O(source); empty for the whole share.
    type: list
    elements: str
    default: []
  scratch:
    description: Folder the generation is restored into (a fresh sub-folder per run); never the source.
    type: path
    required: true
  keep_scratch:
    description: Keep the restored files after the test (to look at a difference).
    type: bool
    default: false
  restic:
    description: The restic command.
    type: str
    default: restic
requirements:
  - restic 0.14 or later (Debian C(restic))
  - blake3 (Python, C(blake3==1.0.11)) for BLAKE3; without it the files are compared with SHA-256
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
    details: Restores and writes nothing; returns the generation and what would be compared.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Restore the share from the newest generation and compare it with the source
  backup_restore_test:
    job: fs01-share
    repository: /srv/backup/repos/fs01-share
    password: "{{ vault_backup_password }}"
    source: /srv/share
    include: [総務課, 市民課/2026]
    scratch: /srv/backup/restore-test
"""

RETURN = r"""
record:
  description: The test's record - C(job), C(snapshot) (C(id), C(short_id), C(time)), C(source), C(include),
    C(files_compared), C(octets_compared), C(differences) (each C(path), C(kind), C(kind_ja), C(detail)),
    C(started_at), C(finished_at), C(counts), C(seconds) (C(restore), C(compare), C(total)),
    C(result) (C(ok), C(differences), C(failed)),
    C(errors).
  type: dict
  returned: always
"""

import datetime
import os
import shutil
import tempfile
import time

from ansible.module_utils.backup import hashing, offsite, restore_check
from ansible.module_utils.backup.engine import EngineError, ResticEngine
from ansible.module_utils.basic import AnsibleModule


def _now():
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def main():
    module = AnsibleModule(
        argument_spec={
            "job": {"type": "str", "required": True},
            "repository": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "source": {"type": "path", "required": True},
            "snapshot": {"type": "str", "default": "latest"},
            "include": {"type": "list", "elements": "str", "default": []},
            "scratch": {"type": "path", "required": True},
            "keep_scratch": {"type": "bool", "default": False},
            "restic": {"type": "str", "default": "restic"},
        },
        supports_check_mode=True,
    )
    p = module.params
    algorithm = "blake3" if hashing.available("blake3") else "sha256"

    def run(argv, env):
        return module.run_command(argv, environ_update=env)

    started = time.monotonic()
    record = {
        "job": p["job"], "source": p["source"], "include": p["include"],
        "started_at": _now(), "finished_at": None, "snapshot": None,
        "files_compared": 0, "octets_compared": 0, "algorithm": algorithm,
        "differences": [], "counts": {k: 0 for k in restore_check.KIND_JA},
        "seconds": {"restore": None, "compare": None, "total": None}, "result": "failed", "errors": [],
    }  # fmt: skip
    secrets = tempfile.mkdtemp(prefix="backup-restore-test-")
    work = None
    try:
        password_file = os.path.join(secrets, "pw")
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(p["password"])
        engine = ResticEngine(p["repository"], password_file, restic=p["restic"],
                              cache_dir=os.path.join(secrets, "cache"), run=run)  # fmt: skip
        snapshot = offsite.choose_snapshot(engine.snapshots(), p["snapshot"])
        record["snapshot"] = {k: snapshot[k] for k in ("id", "short_id", "time")}
        include = restore_check.check_inputs(p["source"], snapshot["paths"], p["scratch"], p["include"])
        record["include"] = include
        if not os.path.isdir(p["source"]):
            raise restore_check.RestoreTestError(f"source {p['source']} is not a folder here")
        if module.check_mode:
            module.exit_json(changed=False, record=record)
        os.makedirs(p["scratch"], exist_ok=True)
        work = tempfile.mkdtemp(prefix=f"{p['job']}-{snapshot['short_id']}-", dir=p["scratch"])
        begin = time.monotonic()
        restored = engine.restore(snapshot["id"], work, restore_check.restic_includes(p["source"], include))
        record["seconds"]["restore"] = round(time.monotonic() - begin, 3)
        if not restored["ok"]:
            record["errors"] = restored["errors"]
        begin = time.monotonic()
        compared = restore_check.compare(
            p["source"], os.path.join(work, p["source"].lstrip("/")), include, algorithm
        )
        record["seconds"]["compare"] = round(time.monotonic() - begin, 3)
        record.update(compared)
        record["result"] = (
            "failed" if record["errors"] else "differences" if compared["differences"] else "ok"
        )
        if p["keep_scratch"]:
            record["scratch"] = work
    except (restore_check.RestoreTestError, offsite.OffsiteError, EngineError) as exc:
        module.fail_json(msg=f"リストア試験 {p['job']}: {exc}", record=record)
    finally:
        shutil.rmtree(secrets, ignore_errors=True)
        if work and not p["keep_scratch"]:
            shutil.rmtree(work, ignore_errors=True)
    record["finished_at"] = _now()
    record["seconds"]["total"] = round(time.monotonic() - started, 3)
    # a restore into the operation's own scratch folder changes nothing of the estate
    module.exit_json(changed=False, record=record)


if __name__ == "__main__":
    main()
