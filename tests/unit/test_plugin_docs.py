"""Every plugin documents itself for ansible-doc: each Jinja filter the filter plugins export (found from
FilterModule().filters(), so a new filter without documentation fails here), each action plugin (in the
doc-only module of the same name in library/), and every option the callback, inventory and vars
plugins read. Modules are covered by test_module_docs.py."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILTER_FILES = sorted(ROOT.glob("filter_plugins/*.py"))
ACTION_FILES = sorted(ROOT.glob("plugins/action/*.py"))
OPTION_READERS = {  # plugin type -> plugin files that read options
    "callback": sorted(ROOT.glob("plugins/callback/*.py")),
    "inventory": sorted(ROOT.glob("plugins/inventory/*.py")),
    "vars": sorted(ROOT.glob("plugins/vars/*.py")),
}


def ansible_doc(plugin_type: str, names: list[str]) -> dict:
    """One ansible-doc run for several plugins, as the repository's ansible.cfg finds them."""
    env = os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    out = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-doc"), "-t", plugin_type, "--json", *names],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


def exported_filters() -> dict[str, str]:
    """filter name -> file, from each filter plugin's FilterModule().filters()."""
    names = {}
    for path in FILTER_FILES:
        spec = importlib.util.spec_from_file_location(f"filter_under_test_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name in module.FilterModule().filters():
            assert name not in names, f"{name} exported by {names.get(name)} and {path.name}"
            names[name] = path.name
    return names


def test_every_filter_renders_with_ansible_doc():
    filters = exported_filters()
    assert len(filters) >= 15, filters
    docs = ansible_doc("filter", sorted(filters))
    assert set(docs) == set(filters), f"undocumented: {sorted(set(filters) - set(docs))}"
    for name, entry in docs.items():
        doc = entry["doc"]
        assert doc["name"] == name and doc["short_description"], name
        assert Path(doc["filename"]).name == f"{name}.yml", f"{name}: documentation beside {filters[name]}"
        assert "_input" in (doc.get("options") or {}), f"{name}: the filtered value (_input) is documented"
        assert entry["examples"] and f"{name}" in entry["examples"], f"{name}: EXAMPLES use the filter"
        assert "_value" in (entry["return"] or {}), f"{name}: RETURN describes _value"


def test_every_action_plugin_has_docs_in_a_doc_only_module():
    names = [p.stem for p in ACTION_FILES]
    assert names, "no action plugins"
    for path in ACTION_FILES:
        assert "DOCUMENTATION" not in path.read_text(encoding="utf-8"), (
            f"{path.name}: documentation belongs in library/{path.name}, where ansible-doc reads it"
        )
        assert (ROOT / "library" / path.name).exists(), f"library/{path.name} documents the action"
    docs = ansible_doc("module", names)
    assert set(docs) == set(names)
    for name, entry in docs.items():
        assert entry["doc"]["short_description"] and entry["examples"] and entry["return"], name
        attributes = entry["doc"].get("attributes") or {}
        assert attributes.get("action", {}).get("support") == "full", f"{name}: attributes.action"


def _options_read(path: Path) -> set[str]:
    return set(re.findall(r"""get_option\(\s*["']([a-z_]+)["']""", path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("plugin_type", sorted(OPTION_READERS))
def test_every_option_a_plugin_reads_is_documented(plugin_type):
    files = OPTION_READERS[plugin_type]
    assert files, plugin_type
    docs = ansible_doc(plugin_type, [p.stem for p in files])
    for path in files:
        doc = docs[path.stem]["doc"]
        assert doc["short_description"] and doc.get("author"), path.name
        documented = set(doc.get("options") or {})
        undocumented = _options_read(path) - documented
        assert not undocumented, f"{path.name} reads undocumented options {sorted(undocumented)}"


def test_callback_documents_the_environment_it_reads():
    from jichitai_ops.workplan import model

    doc = ansible_doc("callback", ["workplan"])["workplan"]["doc"]
    env = {e["name"]: name for name, option in doc["options"].items() for e in option.get("env") or []}
    assert env.get(model.STORE_ENV) == "store_dir", env
    assert "store_dir" in _options_read(ROOT / "plugins/callback/workplan.py"), "read through get_option"
