# The users, groups, approvers and routes of one inter-segment transfer system as one change set: the
# work of the transfer_accounts module, callable from another module's process (personnel_phase runs
# it for every transfer system of a personnel transfer over the directory read it already holds).
from __future__ import annotations

import datetime
import os

from ansible.module_utils.directory.ldap import HAS_LDAP3
from ansible.module_utils.directory.specs import DIRECTORY_CONNECTION, ldap_directory
from ansible.module_utils.transfer import accounts as model
from ansible.module_utils.transfer import csvimport
from ansible.module_utils.transfer.rest import TransferClient, TransferError
from ansible.module_utils.workplan.journal import ControllerGone

NOTHING_CHANGED = "何も変更していません / nothing changed"

DIRECTORY_OPTIONS = DIRECTORY_CONNECTION


def system_options():
    """The options of one system (transfer_accounts' own, personnel_phase's transfer_systems items)."""
    item = {"type": "list", "elements": "dict", "default": []}
    return {
        "system": {"type": "str", "required": True},
        "segments": {"type": "list", "elements": "str", "required": True},
        "backend": {"type": "str", "choices": ["rest", "csv"], "default": "rest"},
        "api_url": {"type": "str"},
        "api_key": {"type": "str", "no_log": True},
        "timeout": {"type": "float", "default": 15.0},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        "users": item,
        "groups": item,
        "routes": item,
        "state": {"type": "str", "choices": ["present", "exact", "absent"], "default": "present"},
        "allow_empty": {"type": "bool", "default": False},
        "default_side": {"type": "str"},
        "keep_users": {"type": "list", "elements": "str", "default": [], "no_log": False},
        "keep_groups": {"type": "list", "elements": "str", "default": []},
        "import_dir": {"type": "path"},
        "export_dir": {"type": "path"},
        "wait_import": {"type": "float", "default": 60.0},
        "hosts": {"type": "list", "elements": "str", "default": []},
    }


class SystemFailed(Exception):
    """The system's step cannot go on: the module fails with this message and these result fields."""

    def __init__(self, msg, **fields):
        super().__init__(msg)
        self.msg = msg
        self.fields = fields


def argument_problems(params):
    problems = []
    if params["backend"] == "rest" and not (params["api_url"] and params["api_key"]):
        problems.append("backend rest needs api_url and api_key")
    if params["backend"] == "csv" and not (params["import_dir"] and params["export_dir"]):
        problems.append("backend csv needs import_dir and export_dir")
    if not 0 < params["timeout"] <= 300:
        problems.append(f"timeout {params['timeout']} is not within 0 < timeout <= 300")
    if not 0 < params["wait_import"] <= 3600:
        problems.append(f"wait_import {params['wait_import']} is not within 0 < wait_import <= 3600")
    return problems


def directory_groups(conn):
    """sAMAccountName of every group in the directory CONN names (one search)."""
    with ldap_directory(conn) as directory:
        return {
            attrs["sAMAccountName"][0]
            for _dn, attrs in directory.search(
                conn["ldap_base_dn"], "(objectClass=group)", ["sAMAccountName"]
            )
        }


def missing_ad_groups(wanted, found, planned):
    """Problems for groups whose AD group is not in FOUND (nor in PLANNED, the groups a check run's
    earlier steps would create)."""
    names = {str(g.get("ad_group") or g.get("name")) for g in wanted["groups"] if isinstance(g, dict)}
    return [
        f"groups: AD グループ {name} がありません（転送システムのグループは AD グループに対応させます）"
        for name in sorted(names - set(found) - set(planned))
    ]


def show(kind, item):
    """One item as the lines a diff shows."""
    if item is None:
        return ""
    if kind == "routes":
        approval = "承認要" if item["approval"] == "required" else "承認不要"
        return f"{item['group']}: {item['from']} → {item['to']}（{approval}）\n"
    return "".join(f"{k}: {v}\n" for k, v in item.items())


class Backend:
    """The account store of one product: read, apply a change set, read back."""

    def __init__(self, params):
        self.params = params
        self.batch = None
        if params["backend"] == "rest":
            p = params
            self.client = TransferClient(
                p["system"], p["api_url"], p["api_key"], p["timeout"], p["validate_certs"], p["ca_path"]
            )

    def read(self):
        if self.params["backend"] == "rest":
            return self.client.accounts()
        return csvimport.read_export(self.params["export_dir"])

    def apply(self, current, change_list, journal):
        if self.params["backend"] == "rest":
            for op, kind, key, before, after in change_list:
                journal.check_controller()
                target = f"{self.params['system']} {self.params['api_url']}"
                try:
                    if op == "delete":
                        self.client.delete(kind, before)
                    else:
                        self.client.put(kind, after)
                except TransferError as exc:
                    journal.write(
                        op,
                        target=target,
                        obj=f"{kind}/{key}",
                        before=before,
                        after=after,
                        ok=False,
                        note=str(exc)[:300],
                    )
                    raise
                journal.write(op, target=target, obj=f"{kind}/{key}", before=before, after=after)
            return
        journal.check_controller()
        final = model.apply_to(current, change_list)
        files = csvimport.batch_files(final)
        stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S")
        batch_id = f"{stamp}-{self.params['system']}-{os.getpid()}"
        sums = csvimport.hand_over(self.params["import_dir"], batch_id, files)
        self.batch = {
            "id": batch_id,
            "folder": os.path.join(self.params["import_dir"], batch_id),
            "sha256": sums,
        }
        journal.write(
            "import",
            target=self.params["import_dir"],
            obj=batch_id,
            after={"files": sums, "changes": len(change_list)},
        )
        answer = csvimport.wait_result(self.params["import_dir"], batch_id, self.params["wait_import"])
        self.batch["answer"] = answer
        if answer is None:
            raise csvimport.ImportError_(
                f"the product did not answer batch {batch_id} within {self.params['wait_import']:g} s; it "
                f"stays in {self.params['import_dir']} (check the product's import service, then run again)"
            )
        if not answer.get("ok"):
            raise csvimport.ImportError_(
                f"the product refused batch {batch_id}: {'; '.join(answer.get('errors') or [])}"
            )


def wanted_of(params):
    wanted = {k: params[k] for k in model.KINDS}
    if params["default_side"]:
        wanted["users"] = [
            dict(u, side=u.get("side") or params["default_side"]) if isinstance(u, dict) else u
            for u in wanted["users"]
        ]
    return wanted


def input_problems(params, wanted):
    """Problems found before the system or the directory is contacted."""
    return argument_problems(params) + model.check(wanted, params["segments"])


def run(params, wanted, ad_problems, check_mode, diff_mode, journal_for):
    """Read the system, plan the change set and (outside check mode) apply it and read it back.
    AD_PROBLEMS: the missing AD groups found before. JOURNAL_FOR(): the journal of the changes.
    Returns the result fields (with the diff in diff mode); raises SystemFailed."""
    problems = list(ad_problems)
    try:
        backend = Backend(params)
        current = backend.read()
    except (TransferError, csvimport.ImportError_) as exc:
        raise SystemFailed(f"転送システムの利用者を読めません / cannot read the accounts: {exc}") from exc
    change_list = model.changes(current, wanted, params["state"], params["keep_users"], params["keep_groups"])
    after = model.apply_to(current, change_list)
    problems += model.dangling(wanted, after) if params["state"] != "absent" else []
    if (
        params["state"] == "exact"
        and not after["users"]
        and current.get("users")
        and not params["allow_empty"]
    ):
        problems.append(
            "state exact with no users would remove every user of the system (allow_empty: true if meant)"
        )
    if problems:
        raise SystemFailed(
            f"転送システム {params['system']} の利用者を変更できません。{NOTHING_CHANGED}:\n"
            + "\n".join(problems),
            errors=problems,
        )
    result = {
        "changed": bool(change_list),
        "changes": [{"op": op, "kind": kind, "key": key} for op, kind, key, _b, _a in change_list],
        "counts": {k: len(after[k]) for k in model.KINDS},
        "changed_hosts": list(params["hosts"]) if change_list else [],
    }
    if diff_mode:
        result["diff"] = [
            {
                "before_header": f"{params['system']} {kind} {key}",
                "after_header": f"{params['system']} {kind} {key}",
                "before": show(kind, before),
                "after": show(kind, new),
            }
            for _op, kind, key, before, new in change_list
        ]
    if change_list and not check_mode:
        try:
            backend.apply(current, change_list, journal_for())
            actual = model.apply_to(backend.read(), [])
        except ControllerGone as exc:
            raise SystemFailed(
                f"ansible-playbook が終了したため、転送システムの変更を途中で止めました / stopped: {exc}",
                changed=True,
            ) from exc
        except (TransferError, csvimport.ImportError_) as exc:
            raise SystemFailed(
                f"転送システム {params['system']} の変更に失敗しました: {exc}",
                changed=True,
                batch=backend.batch,
            ) from exc
        if actual != after:
            raise SystemFailed(
                f"転送システム {params['system']} の読み戻しが計画と一致しません"
                "（別の変更が同時に行われた可能性）",
                changed=True,
                expected_counts=result["counts"],
                actual_counts={k: len(actual[k]) for k in model.KINDS},
            )
    if backend.batch:
        result["batch"] = backend.batch
    return result


__all__ = ["HAS_LDAP3", "NOTHING_CHANGED", "SystemFailed", "run"]
