# The steps every personnel-transfer module shares (§6-3(7) OPS-MOVE): read the HR list and the
# organisation masters, read the directory once, validate and plan. Failures are raised as
# InputProblems (nothing changed) so that each module reports them the same way.
from __future__ import annotations

import collections
import os
import time
from dataclasses import dataclass

from ansible.module_utils.directory.ldap import LdapDirectory
from ansible.module_utils.directory.specs import DEPARTMENTS_OU, DIRECTORY_CONNECTION
from ansible.module_utils.hr_transfer import ad as hr_transfer_ad
from ansible.module_utils.hr_transfer import limits as hr_transfer_limits
from ansible.module_utils.hr_transfer import org as hr_transfer_org
from ansible.module_utils.hr_transfer import plan as hr_transfer_plan
from ansible.module_utils.hr_transfer import transfer_list as hr_transfer_list

DEFAULT_ROUTE_GROUPS = {"internet_lgwan": "g-xfer-internet-lgwan", "lgwan_mynumber": "g-xfer-lgwan-mynumber"}

# Module options shared by the modules that plan from the HR list (argument_spec fragments).
PLAN_ARGS = {
    "hr_list": {"type": "path", "required": True},
    "organisation": {"type": "dict", "required": True},
    "organisation_next": {"type": "dict"},
    "effective_date": {"type": "str"},
    "effective_dates": {"type": "list", "elements": "str", "default": []},
    **DIRECTORY_CONNECTION,
    **DEPARTMENTS_OU,
    "account_prefix": {"type": "str", "default": "u"},
    "upn_suffix": {"type": "str"},
    "kana_attribute": {"type": "str", "default": "msDS-PhoneticDisplayName"},
    "route_groups": {"type": "dict", "default": DEFAULT_ROUTE_GROUPS},
    "route_groups_ou": {"type": "str", "default": "CN=Users"},
}


class InputProblems(Exception):
    def __init__(self, message, problems):
        super().__init__(message)
        self.problems = problems


@dataclass
class Context:
    orders: list
    encoding: str
    current: object
    nxt: object
    org_diff: object
    snapshot: object
    result: object
    directory: object
    effective_date: str
    timings: dict


def dns_domain(base_dn):
    return ".".join(p.split("=", 1)[1] for p in base_dn.split(",") if p.strip().upper().startswith("DC="))


def load_organisations(params):
    base = params["ldap_base_dn"]
    dept_ou = f"{params['departments_ou']},{base}"
    try:
        current = hr_transfer_org.load(params["organisation"], base, dept_ou, label="現行の所属マスタ")
        nxt = (
            hr_transfer_org.load(params["organisation_next"], base, dept_ou, label="新しい所属マスタ")
            if params.get("organisation_next")
            else current
        )
        return current, nxt, hr_transfer_org.diff(current, nxt)
    except hr_transfer_org.OrgError as exc:
        raise InputProblems(
            "所属マスタに誤りがあります。何も変更していません:\n" + "\n".join(exc.problems), exc.problems
        ) from exc


def plan_from_inputs(params):
    """Parse, read the directory (one connection, left open for the caller) and plan.
    Raises InputProblems with every bad row when the inputs are not usable."""
    timings = {}
    started = time.monotonic()
    with open(params["hr_list"], "rb") as handle:
        orders, parse_issues, encoding = hr_transfer_list.parse(handle.read())
    current, nxt, org_diff = load_organisations(params)
    dates = collections.Counter(o.date for o in orders if o.date)
    date = params.get("effective_date") or (dates.most_common(1)[0][0] if dates else "")
    base = params["ldap_base_dn"]
    options = {
        "effective_date": date,
        "effective_dates": params.get("effective_dates") or [],
        "route_groups": params["route_groups"],
        "route_groups_ou": f"{params['route_groups_ou']},{base}",
        "upn_suffix": params.get("upn_suffix") or dns_domain(base),
        "account_prefix": params["account_prefix"],
        "kana_attribute": params["kana_attribute"],
    }
    directory = LdapDirectory(
        params["ldap_url"], params["ldap_bind_dn"], params["ldap_bind_password"], params["ldap_ca_file"], base
    ).connect()
    snapshot, timings["read"] = hr_transfer_ad.read_snapshot(directory, base, params["kana_attribute"])
    planned = time.monotonic()
    # every value against every target it reaches (directory limits, import-file encodings), before any change
    list_issues, other_issues = hr_transfer_limits.check_inputs(params, orders, current, nxt)
    parse_issues = parse_issues + list_issues
    result = hr_transfer_plan.plan(orders, parse_issues, current, nxt, snapshot, org_diff, options)
    result.issues.extend(other_issues)
    timings["plan"] = time.monotonic() - planned
    timings["inputs_and_plan"] = time.monotonic() - started
    if result.issues:
        directory.close()
        errors = [issue.render(os.path.basename(params["hr_list"])) for issue in result.issues]
        doubts = ("\n要確認（誤りではありません）:\n" + "\n".join(result.warnings)) if result.warnings else ""
        raise InputProblems(
            f"人事異動リスト {params['hr_list']}（{encoding or '文字コード不明'}）に"
            f" {len(errors)} 件の誤りがあります。"
            "何も変更していません:\n" + "\n".join(errors) + doubts,
            errors,
        )
    return Context(orders, encoding, current, nxt, org_diff, snapshot, result, directory, date, timings)
