"""The personnel-transfer modules document themselves: ansible-doc renders DOCUMENTATION, EXAMPLES
and RETURN, and the documented options are exactly those the module accepts."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
from ansible.module_utils.hr_transfer.run import PLAN_ARGS  # noqa: E402
from ansible.module_utils.hr_transfer.steps import AD_ARGS, IMPORT_ARGS, SHARE_ARGS  # noqa: E402
from ansible.module_utils.transfer.accounts_step import system_options  # noqa: E402
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC  # noqa: E402

MODULES = ["personnel_phase", "ad_personnel", "share_folders", "import_files", "transfer_accounts"]
FRAGMENTS = {  # option sets the modules share, by the name the source spreads them with
    "PLAN_ARGS": PLAN_ARGS,
    "JOURNAL_ARGUMENT_SPEC": JOURNAL_ARGUMENT_SPEC,
    "steps.AD_ARGS": AD_ARGS,
    "steps.SHARE_ARGS": SHARE_ARGS,
    "steps.IMPORT_ARGS": IMPORT_ARGS,
    "accounts_step.system_options()": system_options(),
}


def accepted_options(source, module):
    if "\ndef argument_spec(" in source:  # the module's own spec, read by loading the module
        spec = importlib.util.spec_from_file_location(f"_doc_{module}", ROOT / "library" / f"{module}.py")
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
        return set(loaded.argument_spec())
    names = set(re.findall(r'"(\w+)": \{"type"', source)) | set(re.findall(r'(\w+)=\{"type"', source))
    for fragment, options in FRAGMENTS.items():
        if fragment in source:
            names |= set(options)
    return names


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders(module):
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
    source = (ROOT / "library" / f"{module}.py").read_text(encoding="utf-8")
    assert "supports_check_mode=True" in source
    assert set(doc["doc"]["options"]) == accepted_options(source, module)
