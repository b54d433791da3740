"""The personnel-transfer modules document themselves: ansible-doc renders DOCUMENTATION, EXAMPLES
and RETURN, and the documented options are exactly those the module accepts."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
from ansible.module_utils.hr_transfer.run import PLAN_ARGS  # noqa: E402
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC  # noqa: E402

MODULES = ["ad_personnel", "share_folders", "import_files"]


def accepted_options(source):
    names = set(re.findall(r'"(\w+)": \{"type"', source)) | set(re.findall(r'(\w+)=\{"type"', source))
    if "PLAN_ARGS" in source:
        names |= set(PLAN_ARGS)
    if "JOURNAL_ARGUMENT_SPEC" in source:
        names |= set(JOURNAL_ARGUMENT_SPEC)
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
    assert set(doc["doc"]["options"]) == accepted_options(source)
