"""Every custom module documents itself and supports check mode: ansible-doc renders DOCUMENTATION,
EXAMPLES and RETURN, declares its check_mode and diff_mode support as attributes, and the documented
options are exactly the options the module accepts.
A doc-only module file (no code) documents the action plugin of the same name (plugins/action/), whose
ARGSPEC is then what the options must match; an action plugin that runs its module (personnel_phase)
leaves the module's own argument spec to be matched."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE_FILES = sorted(ROOT.glob("library/*.py")) + sorted(ROOT.glob("roles/*/library/*.py"))
ACTION_DIR = ROOT / "plugins" / "action"
SUPPORT = {"full", "partial", "none", "N/A"}


class _Captured(Exception):
    def __init__(self, kwargs):
        super().__init__("argument spec captured")
        self.kwargs = kwargs


def _load(path: Path, prefix: str):
    spec = importlib.util.spec_from_file_location(f"{prefix}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _module_kwargs(path: Path) -> dict:
    """The keyword arguments the module gives AnsibleModule, captured before anything runs."""
    module = _load(path, "module_under_test")
    if not hasattr(module, "main"):  # a doc-only module: its action plugin validates its own argument spec
        action = ACTION_DIR / path.name
        assert action.exists(), "a module file without code and without an action plugin of its name"
        plugin = _load(action, "action_under_test")
        return {
            "argument_spec": plugin.ARGSPEC,
            "supports_check_mode": plugin.ActionModule._supports_check_mode,
        }

    def capture(*_args, **kwargs):
        raise _Captured(kwargs)

    module.AnsibleModule = capture
    with pytest.raises(_Captured) as captured:
        module.main()
    return captured.value.kwargs


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.stem)
def test_module_renders_and_supports_check_mode(path):
    out = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-doc"), "-M", str(path.parent), "--json", path.stem],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)[path.stem]
    assert doc["doc"]["short_description"], "short_description"
    assert doc["examples"].strip(), "EXAMPLES"
    assert doc["return"], "RETURN"
    attributes = doc["doc"].get("attributes") or {}
    for attribute in ("check_mode", "diff_mode"):  # as ansible.builtin.action_common_attributes names them
        assert attributes.get(attribute, {}).get("support") in SUPPORT, f"attributes.{attribute}.support"

    kwargs = _module_kwargs(path)
    assert kwargs.get("supports_check_mode") is True, "AnsibleModule(..., supports_check_mode=True)"
    assert set(kwargs["argument_spec"]) == set(doc["doc"].get("options") or {}), (
        "documented options differ from the argument spec"
    )


def test_every_module_is_covered():
    assert len(MODULE_FILES) >= 9, [p.name for p in MODULE_FILES]
