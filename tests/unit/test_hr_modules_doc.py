"""The personnel-transfer modules and the others that share their options document themselves: ansible-doc
renders DOCUMENTATION, EXAMPLES and RETURN, the documented options are exactly those the module accepts,
with the same type, default, choices and required, and every shared option is documented once, in the doc
fragment whose argument-spec piece the module merges into its argument_spec."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
from ansible.module_utils.directory.specs import DEPARTMENTS_OU, DIRECTORY_CONNECTION  # noqa: E402
from ansible.module_utils.hr_transfer import specs  # noqa: E402
from ansible.module_utils.hr_transfer.run import PLAN_ARGS  # noqa: E402
from ansible.module_utils.transfer.accounts_step import DIRECTORY_OPTIONS  # noqa: E402
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC  # noqa: E402

MODULES = [
    "personnel_phase",
    "ad_personnel",
    "share_folders",
    "import_files",
    "transfer_accounts",
    "register_accounts",
    "ad_computer",
]
FRAGMENT_SPECS = {  # doc fragment -> the argument-spec piece with the same options
    "directory_connection": DIRECTORY_CONNECTION,
    "departments_ou": DEPARTMENTS_OU,
    "organisation_masters": specs.ORGANISATION_MASTERS,
    "hr_transfer_plan": specs.HR_TRANSFER_PLAN,
    "department_share": specs.DEPARTMENT_SHARE,
    "hr_import_files": specs.HR_IMPORT_FILES,
    "initial_passwords": specs.INITIAL_PASSWORDS,
    "workplan_journal": JOURNAL_ARGUMENT_SPEC,
}


class _Captured(Exception):
    pass


def argument_spec(module):
    """The argument_spec the module gives AnsibleModule, captured before anything runs."""
    spec = importlib.util.spec_from_file_location(f"_doc_{module}", ROOT / "library" / f"{module}.py")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)

    def capture(*_args, **kwargs):
        raise _Captured(kwargs["argument_spec"])

    loaded.AnsibleModule = capture
    with pytest.raises(_Captured) as captured:
        loaded.main()
    return captured.value.args[0]


def own_documentation(module):
    """The module's DOCUMENTATION as written in it, before the fragments are added."""
    tree = ast.parse((ROOT / "library" / f"{module}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["DOCUMENTATION"]:
            return yaml.safe_load(node.value.value)
    raise AssertionError(f"{module} has no DOCUMENTATION")


def fragment_options(name):
    spec = importlib.util.spec_from_file_location(
        f"_fragment_{name}", ROOT / "plugins/doc_fragments" / f"{name}.py"
    )
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return yaml.safe_load(loaded.ModuleDocFragment.DOCUMENTATION)["options"]


def differences(documented, accepted, where=""):
    """Where the documented options and the argument spec disagree (as validate-modules reads them)."""
    found = []
    if set(documented) != set(accepted):
        found.append(f"{where}options {sorted(set(documented) ^ set(accepted))} on one side only")
    for name in sorted(set(documented) & set(accepted)):
        doc, arg = documented[name], accepted[name]
        pairs = {
            "type": (doc.get("type", "str"), arg.get("type", "str")),
            "required": (bool(doc.get("required")), bool(arg.get("required"))),
            "default": (doc.get("default"), arg.get("default")),
            "choices": (doc.get("choices"), arg.get("choices")),
            "elements": (doc.get("elements"), arg.get("elements")),
        }
        found += [f"{where}{name}.{key}: {d!r} != {a!r}" for key, (d, a) in pairs.items() if d != a]
        if "options" in arg or "suboptions" in doc:
            found += differences(doc.get("suboptions") or {}, arg.get("options") or {}, f"{where}{name}.")
    return found


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_the_accepted_options(module):
    out = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-doc"), "-M", str(ROOT / "library"), "--json", module],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)[module]
    assert doc["doc"]["short_description"] and doc["examples"] and doc["return"]
    accepted = argument_spec(module)
    assert differences(doc["doc"]["options"], accepted) == []
    secrets = [name for name in accepted if name.endswith(("password", "api_key"))]
    assert all(accepted[name].get("no_log") for name in secrets), secrets


@pytest.mark.parametrize("fragment", sorted(FRAGMENT_SPECS))
def test_fragment_documents_its_spec_piece(fragment):
    assert differences(fragment_options(fragment), FRAGMENT_SPECS[fragment]) == []


@pytest.mark.parametrize("module", MODULES)
def test_shared_options_come_from_their_fragment_only(module):
    """A module that takes a piece's options extends its fragment and does not document them again."""
    own = own_documentation(module)
    extends = set(own.get("extends_documentation_fragment") or [])
    accepted = argument_spec(module)
    for fragment, piece in FRAGMENT_SPECS.items():
        if set(piece) <= set(accepted):
            assert fragment in extends, f"{module} takes {sorted(piece)} but does not extend {fragment}"
            assert not set(piece) & set(own.get("options") or {}), f"{module} documents {fragment}'s options"
        else:
            assert fragment not in extends, f"{module} extends {fragment} without its options"


def test_the_pieces_are_the_options_the_steps_read():
    assert specs.plan_spec() == PLAN_ARGS
    assert DIRECTORY_CONNECTION == DIRECTORY_OPTIONS
    assert set(specs.HR_TRANSFER_PLAN).isdisjoint(DIRECTORY_CONNECTION)
    assert "departments_ou" not in fragment_options("directory_connection")
