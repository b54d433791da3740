#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: backup_offsite
short_description: Write, hand over and take back the monthly off-site backup medium (遠隔地保管)
description:
  - "REQUIREMENTS OPS-BACKUP §6-3(6)④: once a month the file-server data goes to an external medium that a
    secure courier (セキュリティ便) takes to a remote site. One module, three phases (O(phase))."
  - "C(write): the newest generation (or O(snapshot)) of each job is restored into O(staging) and
    written to the medium O(medium) as one BagIt bag O(bag) (data/<job>/..., BLAKE3 per file, SHA-256
    tag manifest, Payload-Oxum); the medium's present contents are removed first (they are named in the
    plan). The bag is then read back from the device (page cache dropped) and every file checked; a
    failed read-back fails the task after the record is written, and the medium must not leave."
  - "C(handover): the courier hand-over (O(handover)) written into the bag's bag-info.txt and the courier
    record; refused unless the last read-back passed and the Payload-Oxum still matches."
  - "C(return): the returned medium read back again in full and the return (O(returned)) recorded."
  - It runs on the host of the engine and the medium's drive and returns the bag's courier record after the
    phase (O(record) is the record as it was); the controller keeps it and writes the 遠隔地保管記録
    (C(backup_offsite_record)). A failed read-back is returned (C(verification.ok) false), not raised, so that
    the record of it is kept; the caller fails the run after that.
  - A medium that is neither a mount point nor the lab's stand-in folder (a file C(.jichitai-medium-standin))
    is refused, so that an unmounted medium never fills the backup host's own disk.
  - In check mode nothing is written or restored; the result's C(plan) says what would be (the generations,
    files and octets, the medium's contents that would be replaced, the tags that would change).
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  phase:
    description: The phase to run.
    type: str
    required: true
    choices: [write, handover, return]
  medium:
    description: Mount point of the external medium on the host the module runs on.
    type: path
    required: true
  bag:
    description: Folder name of the bag on the medium and of its courier record (e.g. C(offsite-2026-12)).
    type: str
    required: true
  media_id:
    description: The medium's label (媒体番号), the bag's External-Identifier; required by C(write).
    type: str
  jobs:
    description:
      - "The off-site jobs (C(jichitai_backup_jobs) with C(offsite: true)); required by C(write)."
    type: list
    elements: dict
    suboptions:
      name:
        description: The job's name; its data goes under C(data/<name>/) in the bag.
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
      snapshot:
        description: The generation of this job to copy, when it is not O(snapshot).
        type: str
      paths:
        description: Part of the job data (its sources); the copy takes the generation's own paths.
        type: list
        elements: str
      description:
        description: Part of the job data; not used here.
        type: str
      kind:
        description: Part of the job data; not used here.
        type: str
      source_host:
        description: Part of the job data; not used here.
        type: str
      run_record:
        description: Part of the job data; not used here.
        type: str
      max_age_hours:
        description: Part of the job data; not used here.
        type: int
      size_swing_percent:
        description: Part of the job data; not used here.
        type: int
      offsite:
        description: Part of the job data; not used here (the caller passes the off-site jobs).
        type: bool
  snapshot:
    description: The generation to copy of every job, C(latest) or at least 8 characters of its id.
    type: str
    default: latest
  staging:
    description:
      - "C(write): a folder on the host's own disk the generations are restored into before they are
        written to the medium; a fresh sub-folder is made and removed afterwards."
    type: path
  handover:
    description: "C(handover): C(handed_by), C(handed_at) (ISO 8601), C(courier), C(slip_no), C(kept_at),
      C(return_due) (YYYY-MM-DD)."
    type: dict
  returned:
    description: "C(return): C(returned_at) (ISO 8601) and C(received_by)."
    type: dict
  overwrite_unreturned:
    description: "C(write): replace a bag the record says was handed over and never came back."
    type: bool
    default: false
  algorithm:
    description: The payload manifest's hash.
    type: str
    default: blake3
    choices: [blake3, xxh128, sha256]
  record:
    description: The bag's courier record as it is before this phase (empty when there is none); required by
      C(handover) and C(return).
    type: dict
    default: {}
  restic:
    description: The restic command.
    type: str
    default: restic
requirements:
  - restic 0.14 or later (Debian C(restic))
  - blake3 (Python, C(blake3==1.0.11)) for the default algorithm
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  platform:
    platforms: posix
  check_mode:
    support: full
    details: Restores, writes and reads nothing on the medium; returns the plan.
  diff_mode:
    support: full
    details: The medium's top-level contents (write) or the bag's tags (handover, return), before and after.
"""

EXAMPLES = r"""
- name: Write this month's off-site medium
  backup_offsite:
    phase: write
    medium: /mnt/offsite
    bag: offsite-2026-12
    media_id: OFF-A
    jobs:
      - name: fs01-share
        repository: /srv/backup/repos/fs01-share
        password: "{{ vault_backup_password }}"
    staging: /srv/backup/staging
  register: written

- name: Record the courier hand-over
  backup_offsite:
    phase: handover
    medium: /mnt/offsite
    bag: offsite-2026-12
    handover:
      handed_by: 情報政策課 山田
      handed_at: "2026-12-07T10:30:00+09:00"
      courier: セキュリティ便
      slip_no: "1234-5678-9012"
      kept_at: 遠隔地保管庫 A-3
      return_due: "2027-01-07"
    record: "{{ written.record }}"
"""

RETURN = r"""
plan:
  description: What the phase does or did - C(lines_ja) (the plan in Japanese), and for C(write) the
    C(sources) (job, generation, files, octets), C(replaced) (the medium's present contents), C(files),
    C(octets).
  type: dict
  returned: always
record:
  description: The courier record after the phase (in check mode, as it would be).
  type: dict
  returned: always
verification:
  description: The read-back of this run - C(ok), C(files), C(octets), C(seconds), C(problems)
    (each C(path), C(problem) - missing, extra, size, hash, unreadable, tag_*, oxum - and C(problem_ja)).
  type: dict
  returned: when the phase read the medium back
"""

import datetime
import os
import shutil
import tempfile
import traceback

from ansible.module_utils.backup import bagit, hashing, offsite
from ansible.module_utils.backup.engine import EngineError, ResticEngine
from ansible.module_utils.basic import AnsibleModule, missing_required_lib


def _now():
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


class Runner:
    def __init__(self, module):
        self.module = module

    def __call__(self, argv, env):
        rc, out, err = self.module.run_command(argv, environ_update=env)
        return rc, out, err


def _engines(module, jobs, folder):
    """One ResticEngine per job, each password in a 0600 file under FOLDER (removed with it)."""
    engines = {}
    for job in jobs:
        path = os.path.join(folder, f"{job['name']}.pw")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(job["password"])
        engines[job["name"]] = ResticEngine(
            job["repository"],
            path,
            restic=module.params["restic"],
            cache_dir=os.path.join(folder, "cache"),
            run=Runner(module),
        )
    return engines


def _clear_medium(state):
    for entry in state["entries"]:
        full = os.path.join(state["medium"], entry["name"])
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        else:
            os.unlink(full)


def _write(module, p, record):
    offsite.check_jobs(p["jobs"])
    state = offsite.medium_state(p["medium"])
    secrets = tempfile.mkdtemp(prefix="backup-offsite-")
    try:
        engines = _engines(module, p["jobs"], secrets)
        sources = []
        for job in p["jobs"]:
            snapshot = offsite.choose_snapshot(
                engines[job["name"]].snapshots(), job.get("snapshot") or p["snapshot"]
            )
            contents = offsite.snapshot_contents(engines[job["name"]], snapshot)
            sources.append(
                {
                    "job": job["name"],
                    "snapshot": {k: snapshot[k] for k in ("id", "short_id", "time")},
                    "paths": snapshot["paths"],
                    "root": offsite.snapshot_root(snapshot),
                    **contents,
                }
            )
        plan = offsite.plan_write(state, sources, p["bag"], p["media_id"], p["overwrite_unreturned"])
        diff = {
            "before": "".join(f"{line}\n" for line in offsite.describe_contents(state)),
            "after": "".join(f"{line}\n" for line in plan["lines_ja"]),
            "before_header": f"{p['medium']} (present)",
            "after_header": f"{p['medium']} (written)",
        }
        new = {
            "bag": p["bag"],
            "media_id": p["media_id"],
            "medium": p["medium"],
            "algorithm": p["algorithm"],
            "sources": sources,
            "written": None,
            "verifications": [],
            "handover": None,
            "returned": None,
            "replaced": [e["name"] for e in plan["replaced"]],
        }
        if module.check_mode:
            return plan, new, None, diff
        if not p["staging"]:
            raise offsite.OffsiteError("staging: a folder on the host's own disk is required to write")
        os.makedirs(p["staging"], exist_ok=True)
        work = tempfile.mkdtemp(prefix=f"{p['bag']}-", dir=p["staging"])
        try:
            payload = os.path.join(work, "payload")
            os.makedirs(payload)
            for source in sources:
                target = os.path.join(work, f"restore-{source['job']}")
                result = engines[source["job"]].restore(source["snapshot"]["id"], target)
                if not result["ok"]:
                    raise offsite.OffsiteError(
                        f"restore of {source['job']} {source['snapshot']['short_id']} "
                        f"failed: {'; '.join(result['errors'])}"
                    )
                restored = os.path.join(target, source["root"].lstrip("/"))
                os.rename(restored, os.path.join(payload, source["job"]))
            _clear_medium(state)
            written = bagit.write_bag(
                payload,
                os.path.join(p["medium"], p["bag"]),
                algorithm=p["algorithm"],
                tags=offsite.write_tags(p["media_id"], sources),
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(secrets, ignore_errors=True)
    new["written"] = {"at": _now(), **{k: written[k] for k in ("files", "octets", "oxum", "seconds")}}
    bag = os.path.join(p["medium"], p["bag"])
    check = offsite.verification("write", bagit.verify(bag, uncached=True), bagit.oxum_check(bag), _now())
    new["verifications"].append(check)
    return plan, new, check, diff


def _tag_diff(bag, tags):
    before = bagit.read_bag_info(bag)
    after = dict(before)
    after.update(tags)
    return {
        "before": "".join(f"{k}: {v}\n" for k, v in before),
        "after": "".join(f"{k}: {v}\n" for k, v in after.items()),
        "before_header": f"{bag}/bag-info.txt",
        "after_header": f"{bag}/bag-info.txt",
    }


def _handover(module, p, record):
    offsite.medium_state(p["medium"])
    handover = offsite.check_handover(p["handover"])
    bag = os.path.join(p["medium"], p["bag"])
    if not os.path.isdir(bag):
        raise offsite.OffsiteError(f"{bag}: no such bag on the medium")
    offsite.handover_preconditions(record, bagit.oxum_check(bag))
    tags = {offsite.HANDOVER_TAGS[k]: v for k, v in handover.items()}
    diff = _tag_diff(bag, tags)
    new = {**record, "handover": {**handover, "recorded_at": _now()}, "returned": None}
    plan = {
        "lines_ja": [
            f"媒体 {record['media_id']}（{p['bag']}）の引渡しを記録する: "
            + "、".join(f"{offsite.HANDOVER_FIELDS[k]} {v}" for k, v in handover.items())
        ]
    }
    if not module.check_mode:
        bagit.update_tags(bag, tags)
    return plan, new, None, diff


def _return(module, p, record):
    offsite.medium_state(p["medium"])
    if not record:
        raise offsite.OffsiteError(f"no courier record of {p['bag']}")
    returned = offsite.check_return(p["returned"], record.get("handover"))
    bag = os.path.join(p["medium"], p["bag"])
    if not os.path.isdir(bag):
        raise offsite.OffsiteError(
            f"{bag}: the bag is not on the medium (is it the medium {record['media_id']}?)"
        )
    tags = {offsite.RETURN_TAGS[k]: v for k, v in returned.items()}
    diff = _tag_diff(bag, tags)
    new = {
        **record,
        "returned": {**returned, "recorded_at": _now()},
        "verifications": list(record.get("verifications") or []),
    }
    plan = {
        "lines_ja": [
            f"返却された媒体 {record['media_id']}（{p['bag']}）を全ファイル読み戻して照合し、返却を記録する"
        ]
    }
    if module.check_mode:
        return plan, new, None, diff
    check = offsite.verification("return", bagit.verify(bag, uncached=True), bagit.oxum_check(bag), _now())
    new["verifications"].append(check)
    tags["Return-Verified"] = "ok" if check["ok"] else f"{len(check['problems'])} problems"
    bagit.update_tags(bag, tags)
    return plan, new, check, diff


def main():
    module = AnsibleModule(
        argument_spec={
            "phase": {"type": "str", "required": True, "choices": list(offsite.PHASES)},
            "medium": {"type": "path", "required": True},
            "bag": {"type": "str", "required": True},
            "media_id": {"type": "str"},
            "jobs": {
                "type": "list",
                "elements": "dict",
                "options": {
                    "name": {"type": "str", "required": True},
                    "repository": {"type": "str", "required": True},
                    "password": {"type": "str", "required": True, "no_log": True},
                    "snapshot": {"type": "str"},
                    "paths": {"type": "list", "elements": "str"},
                    "description": {"type": "str"},
                    "kind": {"type": "str"},
                    "source_host": {"type": "str"},
                    "run_record": {"type": "str"},
                    "max_age_hours": {"type": "int"},
                    "size_swing_percent": {"type": "int"},
                    "offsite": {"type": "bool"},
                },
            },
            "snapshot": {"type": "str", "default": "latest"},
            "staging": {"type": "path"},
            "handover": {"type": "dict"},
            "returned": {"type": "dict"},
            "overwrite_unreturned": {"type": "bool", "default": False},
            "algorithm": {"type": "str", "default": "blake3", "choices": list(hashing.ALGORITHMS)},
            "record": {"type": "dict", "default": {}},
            "restic": {"type": "str", "default": "restic"},
        },
        required_if=[
            ("phase", "write", ("jobs", "media_id")),
            ("phase", "handover", ("handover",)),
            ("phase", "return", ("returned",)),
        ],
        supports_check_mode=True,
    )
    p = module.params
    lib = hashing.missing_library(p["algorithm"])
    if lib:
        module.fail_json(msg=missing_required_lib(lib))
    try:
        offsite.check_bag_name(p["bag"])
        record = p["record"] or None
        if record and record.get("bag") != p["bag"]:
            raise offsite.OffsiteError(f"the record given is of {record.get('bag')}, not of {p['bag']}")
        phase = {"write": _write, "handover": _handover, "return": _return}[p["phase"]]
        plan, new, check, diff = phase(module, p, record)
        checks = new.get("verifications") or []
        new = {
            **new,
            "status": offsite.status(new),
            "status_ja": offsite.STATUS_JA[offsite.status(new)],
            "verified_at": checks[-1]["at"] if checks else None,
        }
    except (offsite.OffsiteError, bagit.BagError, EngineError) as exc:
        module.fail_json(msg=f"遠隔地保管 ({p['phase']}): {exc}")
    except OSError as exc:
        module.fail_json(msg=f"遠隔地保管 ({p['phase']}): {exc}", exception=traceback.format_exc())
    result = {"changed": True, "plan": plan, "record": new, "diff": diff}
    if check is not None:
        result["verification"] = check
    module.exit_json(**result)


if __name__ == "__main__":
    main()
