"""Every role is documented and follows the house conventions: README.md naming every variable of
meta/argument_specs.yml (and only those), galaxy_info in meta/main.yml, defaults declared in the
argument specs, role-prefixed variables, internal ones with two underscores, no lab code path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if (p / "tasks" / "main.yml").exists())
SECTIONS = ["## Role variables", "## Dependencies", "## Example playbook", "## Check mode"]


def spec_options(role: Path) -> dict:
    """The options of every entry point (a role may have more than main, as daily_check has)."""
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    options = {}
    for entry in specs["argument_specs"].values():
        options.update(entry.get("options") or {})
    return options


def defaults(role: Path) -> dict:
    path = role / "defaults" / "main.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}


def task_files(role: Path) -> list[Path]:
    return sorted((role / "tasks").glob("*.yml")) + sorted((role / "vars").glob("*.yml"))


def test_every_role_is_found():
    assert len(ROLES) >= 8, [r.name for r in ROLES]


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_readme_documents_exactly_the_argument_specs(role):
    readme = (role / "README.md").read_text(encoding="utf-8")
    assert readme.startswith(f"# {role.name}\n")
    for section in SECTIONS:
        assert section in readme, section
    assert re.search(r"§\d|MNT-|OPS-", readme), "the contract clause"
    options = spec_options(role)
    table = readme.split("## Role variables", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(rf"^\| `({role.name}_[a-z0-9_]+)` \|", table, flags=re.M))
    assert named == set(options), "README variables table differs from meta/argument_specs.yml"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_meta_and_defaults(role):
    meta = yaml.safe_load((role / "meta" / "main.yml").read_text(encoding="utf-8"))
    info = meta["galaxy_info"]
    assert info["role_name"] == role.name
    assert info["description"] and info["license"] and info["min_ansible_version"]
    assert meta.get("dependencies") == []
    options = spec_options(role)
    assert set(defaults(role)) <= set(options), "a default that meta/argument_specs.yml does not declare"
    assert all(name.startswith(f"{role.name}_") for name in options), "role variables carry the role's prefix"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_variables_the_role_sets_are_prefixed(role):
    bad = []
    for path in task_files(role):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        items = list(data.items()) if isinstance(data, dict) else []
        stack = list(data) if isinstance(data, list) else []
        while stack:
            task = stack.pop()
            if not isinstance(task, dict):
                continue
            for key in ("block", "rescue", "always"):
                stack.extend(task.get(key) or [])
            for key in ("register",):
                if key in task:
                    items.append((task[key], None))
            for name in (task.get("ansible.builtin.set_fact") or {}) if isinstance(
                task.get("ansible.builtin.set_fact"), dict
            ) else {}:
                items.append((name, None))
            for name in task.get("vars") or {}:
                if not name.startswith(("workplan_", "health_gate_", "outage_")):  # another role's inputs
                    items.append((name, None))
            loop_var = (task.get("loop_control") or {}).get("loop_var")
            if loop_var:
                items.append((loop_var, None))
        for name, _ in items:
            if not (name.startswith(f"{role.name}_") or name.startswith(f"__{role.name}_")):
                bad.append(f"{path.relative_to(ROOT)}: {name}")
    assert not bad, bad


def test_no_lab_code_path_in_a_role():
    hits = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "roles").rglob("*")
        if p.is_file() and "molecule" not in p.parts and p.suffix in (".yml", ".j2", ".py")
        and re.search(r"lab_st(op|art)|lab/outage|power\.sh|_lab_script", p.read_text(encoding="utf-8"))
    ]  # fmt: skip
    assert not hits, hits
