# Argument-spec pieces of the personnel-transfer modules, each the options of one documentation fragment
# (plugins/doc_fragments/<name>.py), merged into a module's argument_spec as community.general's
# module_utils/ldap.py gen_specs does. The options are defined once, where the step that reads them lives
# (run.PLAN_ARGS, steps.*_ARGS, directory.specs); this names them by fragment.
from __future__ import annotations

from ansible.module_utils.directory.specs import DEPARTMENTS_OU, DIRECTORY_CONNECTION
from ansible.module_utils.hr_transfer.run import PLAN_ARGS
from ansible.module_utils.hr_transfer.steps import AD_ARGS, IMPORT_ARGS, SHARE_ARGS

# doc fragment organisation_masters
ORGANISATION_MASTERS = {name: PLAN_ARGS[name] for name in ("organisation", "organisation_next")}

# doc fragment hr_transfer_plan: the rest of what the modules that plan from the HR list read
HR_TRANSFER_PLAN = {
    name: option
    for name, option in PLAN_ARGS.items()
    if name not in DIRECTORY_CONNECTION and name not in DEPARTMENTS_OU and name not in ORGANISATION_MASTERS
}

# doc fragment department_share
DEPARTMENT_SHARE = dict(SHARE_ARGS)

# doc fragment hr_import_files (import_files' automated_routes is its own)
HR_IMPORT_FILES = {name: option for name, option in IMPORT_ARGS.items() if name != "automated_routes"}

# doc fragment initial_passwords
INITIAL_PASSWORDS = dict(AD_ARGS)


def plan_spec():
    """The options of a module that plans from the HR list: fragments directory_connection,
    departments_ou, organisation_masters and hr_transfer_plan."""
    return {**DIRECTORY_CONNECTION, **DEPARTMENTS_OU, **ORGANISATION_MASTERS, **HR_TRANSFER_PLAN}
