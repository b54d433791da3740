#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: transfer_probe
short_description: Send known test documents through an inter-segment transfer system and check what arrives
description:
  - An end-to-end test of one path of a transfer system. Known test documents are submitted on one
    side and the probe waits for the result, fetches it on the other side and checks it. The clean file
    must arrive byte-identical, the macro document without its macro (read with oletools), the PDF
    without JavaScript (read with pikepdf), and a document the system must block must not arrive.
    The system's sanitisation report of each document is kept.
  - Two ways in. With O(mode=drop) the documents go through the drops the staff use. Each one is put
    in the sending side's C(/outbox/) over SFTP, the probe waits until it leaves, then until the result
    and its C(.report.json) arrive in the receiving side's C(/inbox/), and fetches them. With
    O(mode=api) each document is submitted to the REST API (C(POST /file)), polled
    (C(GET /file/{data_id})) and fetched (C(GET /file/converted/{data_id})), as OPSWAT MetaDefender
    Core defines them.
  - A document that does not get through within O(timeout) fails the probe. The failure names the step
    it was stuck at (submitted, picked up, processed, delivered), so the operator knows which part of
    the system to look at.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  mode:
    description: Through the staff's SFTP drops (V(drop)) or the REST API (V(api)).
    type: str
    choices: [drop, api]
    default: drop
  documents:
    description:
      - The test documents.
      - The probe first checks that a V(macro_removed) document has a macro and a
        V(javascript_removed) one has JavaScript, so a wrong test document cannot pass.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: The document, a file on the controller.
        type: path
        required: true
      expect:
        description:
          - What must arrive - the same bytes (V(unchanged)), the document without its macro
            (V(macro_removed)), the PDF without JavaScript (V(javascript_removed)), or nothing (V(blocked)).
        type: str
        required: true
        choices: [unchanged, macro_removed, javascript_removed, blocked]
  send:
    description:
      - V(drop) mode - the sending side's drop (the C(transfer_drop) filter builds it from the inventory).
    type: dict
    suboptions:
      name:
        description: The inventory host of that side (used in messages).
        type: str
        required: true
      host:
        description: Its address.
        type: str
        required: true
      port:
        description: Its SSH port.
        type: int
        default: 22
      user:
        description: The probe's SFTP account.
        type: str
        required: true
      key_file:
        description: The account's private key on the controller.
        type: path
        required: true
  receive:
    description: V(drop) mode - the receiving side's drop, as O(send).
    type: dict
    suboptions:
      name:
        description: The inventory host of that side (used in messages).
        type: str
        required: true
      host:
        description: Its address.
        type: str
        required: true
      port:
        description: Its SSH port.
        type: int
        default: 22
      user:
        description: The probe's SFTP account.
        type: str
        required: true
      key_file:
        description: The account's private key on the controller.
        type: path
        required: true
  known_hosts:
    description:
      - V(drop) mode - known_hosts file holding the drops' host keys (checked strictly). Without it a
        new host key is accepted once and then kept (OpenSSH C(accept-new)).
    type: path
  rule:
    description: V(api) mode - the processing rule (workflow) to ask for, sent as the C(rule) header.
    type: str
  probe_timeout:
    description: Seconds each document may take from submission to arrival; more than 0, at most 3600.
    type: float
    default: 60.0
  report_dir:
    description:
      - Folder on the controller where the sanitisation report of each document is kept
        (C(<run>-<document>.report.json)), with the file that arrived.
    type: path
    required: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - transfer_api
notes:
  - The documents it sends are test traffic, removed again from both drops; the probe changes no setting
    and reports C(changed=false).
  - In check mode nothing is sent. The probe only reads the system's status (C(GET /admin/status)) when
    O(api_url) is given.
  - Needs the oletools and pikepdf Python libraries on the controller, and the OpenSSH C(sftp) client
    for V(drop) mode.
seealso:
  - module: ansible.legacy.transfer_info
attributes:
  platform:
    platforms: posix
    details: Runs on the controller; it reaches the drops over SFTP and the API over HTTPS.
  check_mode:
    support: full
    details: Sends nothing; reads the status when the API is given.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Probe the sanitising transfer from the Internet side to LGWAN
  transfer_probe:
    system: internet_lgwan
    mode: drop
    send: {name: xfer-inet01, host: 172.20.1.41, user: xfer-probe, key_file: /etc/jichitai/probe.key}
    receive: {name: xfer-lg01, host: 10.10.1.61, user: xfer-probe, key_file: /etc/jichitai/probe.key}
    known_hosts: /etc/jichitai/transfer/known_hosts
    documents:
      - {path: "{{ role_path }}/files/probe/probe-clean.txt", expect: unchanged}
      - {path: "{{ role_path }}/files/probe/probe-macro.docm", expect: macro_removed}
      - {path: "{{ role_path }}/files/probe/probe-javascript.pdf", expect: javascript_removed}
    report_dir: /var/lib/jichitai-ops/transfer-probe
"""

RETURN = r"""
documents:
  description: Per document what was sent, what arrived, how long each step took and the verdict.
  returned: always
  type: list
  elements: dict
  sample:
    - document: probe-macro.docm
      sent_as: probe-20261206T093000-probe-macro.docm
      expect: macro_removed
      verdict: ok
      received: probe-20261206T093000-probe-macro.docx
      removed: [{"object_name": "Macro", "action": "removed", "count": 1}]
      steps: [{"step": "submitted", "seconds": 0.1}, {"step": "delivered", "seconds": 2.3}]
      report_file: /var/lib/jichitai-ops/transfer-probe/20261206T093000-probe-macro.docm.report.json
problems:
  description: Every problem found, one line each (empty when the path works).
  returned: always
  type: list
  elements: str
status:
  description: The system's status, when the API was given (C(GET /admin/status)).
  returned: when api_url is given
  type: dict
"""

import contextlib
import datetime
import json
import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.transfer import verify
from ansible.module_utils.transfer.rest import TransferClient, TransferError
from ansible.module_utils.transfer.sftp import Drop, DropError

STEPS_JA = {
    "submitted": "送信側への投入",
    "picked_up": "転送システムによる受け取り",
    "processed": "無害化・検査",
    "delivered": "受信側への配送",
    "fetched": "受信側からの取得",
}
SIDE = {
    "name": {"type": "str", "required": True},
    "host": {"type": "str", "required": True},
    "port": {"type": "int", "default": 22},
    "user": {"type": "str", "required": True},
    "key_file": {"type": "path", "required": True, "no_log": False},
}


class Stuck(Exception):
    def __init__(self, step, detail=""):
        super().__init__(f"{STEPS_JA[step]}で止まりました{('（' + detail + '）') if detail else ''}")
        self.step = step


def removed_objects(report):
    post = (report.get("process_info") or {}).get("post_processing") or {}
    details = post.get("sanitization_details") or report.get("sanitization_details") or {}
    if isinstance(details, dict):
        details = details.get("details") or []
    return [d for d in details if isinstance(d, dict)]


class Probe:
    def __init__(self, module, run):
        self.module = module
        self.p = module.params
        self.run = run
        self.client = None
        if self.p["api_url"]:
            self.client = TransferClient(
                self.p["system"],
                self.p["api_url"],
                self.p["api_key"] or "",
                self.p["timeout"],
                self.p["validate_certs"],
                self.p["ca_path"],
            )
        if self.p["mode"] == "drop":
            self.send = self._drop(self.p["send"])
            self.receive = self._drop(self.p["receive"])

    def _drop(self, side):
        return Drop(
            self.module.run_command,
            side["name"],
            side["host"],
            side["user"],
            side["key_file"],
            side["port"],
            self.p["known_hosts"],
            min(self.p["timeout"], 30),
        )

    def _wait(self, step, test, deadline):
        while True:
            value = test()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise Stuck(step)
            time.sleep(0.5)

    def via_api(self, name, data, deadline, steps, started):
        try:
            data_id = self.client.submit(name, data, self.p["rule"])
        except TransferError as exc:
            raise Stuck("submitted", str(exc)) from exc
        steps.append({"step": "submitted", "seconds": round(time.monotonic() - started, 2)})

        def done():
            answer = self.client.result(data_id)
            progress = (answer.get("process_info") or {}).get("progress_percentage")
            return answer if progress == 100 else None

        try:
            report = self._wait("processed", done, deadline)
        except TransferError as exc:
            raise Stuck("processed", str(exc)) from exc
        steps.append({"step": "processed", "seconds": round(time.monotonic() - started, 2)})
        if (report.get("process_info") or {}).get("result") == "Blocked":
            return report, None, None
        try:
            received = self.client.converted(data_id)
        except TransferError as exc:
            raise Stuck("fetched", str(exc)) from exc
        steps.append({"step": "fetched", "seconds": round(time.monotonic() - started, 2)})
        converted = ((report.get("process_info") or {}).get("post_processing") or {}).get(
            "converted_destination"
        )
        return report, received, converted or name

    def via_drop(self, name, path, deadline, steps, started, workdir):
        stem = os.path.splitext(name)[0]
        try:
            self.send.put(path, f"/outbox/{name}")
        except DropError as exc:
            raise Stuck("submitted", str(exc)) from exc
        steps.append({"step": "submitted", "seconds": round(time.monotonic() - started, 2)})
        try:
            self._wait("picked_up", lambda: name not in self.send.listing("/outbox"), deadline)
        except Stuck:
            # taken back, so that a test document does not reach the other side after the probe gave up
            with contextlib.suppress(DropError):
                self.send.remove(f"/outbox/{name}")
            raise
        steps.append({"step": "picked_up", "seconds": round(time.monotonic() - started, 2)})
        report_name = f"{name}.report.json"

        def arrived():
            names = self.receive.listing("/inbox")
            return names if report_name in names else None

        names = self._wait("delivered", arrived, deadline)
        steps.append({"step": "delivered", "seconds": round(time.monotonic() - started, 2)})
        local_report = os.path.join(workdir, report_name)
        self.receive.get(f"/inbox/{report_name}", local_report)
        with open(local_report, encoding="utf-8") as handle:
            report = json.load(handle)
        delivered = [n for n in names if n != report_name and os.path.splitext(n)[0] == stem]
        received = None
        if delivered:
            local = os.path.join(workdir, delivered[0])
            self.receive.get(f"/inbox/{delivered[0]}", local)
            with open(local, "rb") as handle:
                received = handle.read()
            steps.append({"step": "fetched", "seconds": round(time.monotonic() - started, 2)})
        for leftover in [report_name, *delivered]:
            self.receive.remove(f"/inbox/{leftover}")
        return report, received, delivered[0] if delivered else None

    def document(self, doc, workdir):
        expect = doc["expect"]
        original = os.path.basename(doc["path"])
        name = f"probe-{self.run}-{original}"
        with open(doc["path"], "rb") as handle:
            sent = handle.read()
        out = {
            "document": original,
            "sent_as": name,
            "expect": expect,
            "sent_sha256": verify.sha256(sent),
            "steps": [],
        }
        started = time.monotonic()
        deadline = started + self.p["probe_timeout"]
        try:
            if self.p["mode"] == "api":
                report, received, received_name = self.via_api(name, sent, deadline, out["steps"], started)
            else:
                staged = os.path.join(workdir, name)
                with open(staged, "wb") as handle:
                    handle.write(sent)
                report, received, received_name = self.via_drop(
                    name, staged, deadline, out["steps"], started, workdir
                )
        except Stuck as exc:
            out.update(verdict="stuck", stuck_step=exc.step, problems=[f"{original}: {exc}"])
            return out
        except DropError as exc:
            out.update(verdict="failed", problems=[f"{original}: {exc}"])
            return out
        report_file = os.path.join(self.p["report_dir"], f"{self.run}-{original}.report.json")
        with open(report_file, "w", encoding="utf-8") as handle:
            json.dump(report, handle, ensure_ascii=False, indent=2)
        out.update(
            report_file=report_file,
            removed=removed_objects(report),
            received=received_name,
            result=(report.get("process_info") or {}).get("result"),
        )
        if expect == "blocked":
            problems = [] if received is None else [f"{original}: 遮断されるべき文書が届きました"]
        elif received is None:
            problems = [f"{original}: 届きませんでした（判定 {out['result']}）"]
        else:
            with open(os.path.join(self.p["report_dir"], f"{self.run}-{received_name}"), "wb") as handle:
                handle.write(received)
            out["received_sha256"] = verify.sha256(received)
            problems = verify.check(expect, original, sent, received)
            if expect != "unchanged" and not out["removed"]:
                problems.append(f"{original}: 無害化レポートに除去した項目がありません")
        out.update(verdict="failed" if problems else "ok", problems=problems)
        return out


def main():
    module = AnsibleModule(
        argument_spec={
            "system": {"type": "str", "required": True},
            "mode": {"type": "str", "choices": ["drop", "api"], "default": "drop"},
            "api_url": {"type": "str"},
            "api_key": {"type": "str", "no_log": True},
            "timeout": {"type": "float", "default": 15.0},
            "validate_certs": {"type": "bool", "default": True},
            "ca_path": {"type": "path"},
            "documents": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "path": {"type": "path", "required": True},
                    "expect": {"type": "str", "required": True, "choices": list(verify.EXPECTATIONS)},
                },
            },
            "send": {"type": "dict", "options": SIDE},
            "receive": {"type": "dict", "options": SIDE},
            "known_hosts": {"type": "path"},
            "rule": {"type": "str"},
            "probe_timeout": {"type": "float", "default": 60.0},
            "report_dir": {"type": "path", "required": True},
        },
        required_if=[("mode", "drop", ("send", "receive")), ("mode", "api", ("api_url", "api_key"))],
        supports_check_mode=True,
    )
    p = module.params
    if not verify.HAS_OLETOOLS:
        module.fail_json(msg=missing_required_lib("oletools"))
    if not verify.HAS_PIKEPDF:
        module.fail_json(msg=missing_required_lib("pikepdf"))
    bad = [
        f"documents: {d['path']} is not a readable file"
        for d in p["documents"]
        if not os.path.isfile(d["path"])
    ]
    if not 0 < p["probe_timeout"] <= 3600:
        bad.append(f"probe_timeout {p['probe_timeout']} is not within 0 < probe_timeout <= 3600")
    if bad:
        module.fail_json(msg="; ".join(bad), problems=bad)
    run = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
    try:
        probe = Probe(module, run)
        status = probe.client.status() if probe.client else None
    except TransferError as exc:
        status = {"error": str(exc)}
    result = {"changed": False, "documents": [], "problems": []}
    if status is not None:
        result["status"] = status
    if module.check_mode:
        result["documents"] = [
            {"document": os.path.basename(d["path"]), "expect": d["expect"], "verdict": "not_sent"}
            for d in p["documents"]
        ]
        module.exit_json(**result)
    os.makedirs(p["report_dir"], exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="transfer-probe-") as workdir:
        for doc in p["documents"]:
            outcome = probe.document(doc, workdir)
            result["documents"].append(outcome)
            result["problems"] += outcome.pop("problems", [])
    if result["problems"]:
        module.fail_json(
            msg=f"転送システム {p['system']} の経路試験に失敗しました:\n" + "\n".join(result["problems"]),
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
