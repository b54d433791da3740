"""Every option a task gives a module of the Windows collections (ansible.windows, microsoft.ad,
community.windows) exists in that module's own argument spec, as `ansible-doc -j` reads it from the
installed collections (one call for every module used), and a literal value has the spec's type and is
one of its choices. No Windows host is needed to catch a misspelt option of a leaf that only runs on one;
an in-memory task proves the check fails on such an option."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PREFIXES = ("ansible.windows.", "microsoft.ad.", "community.windows.")
PLAY_SECTIONS = ("pre_tasks", "tasks", "post_tasks", "handlers")
BOOLEANS = {"yes", "no", "true", "false", "on", "off", "1", "0", "y", "n", "t", "f"}


def _walk(tasks, where, out):
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for section in ("block", "rescue", "always"):
            _walk(task.get(section), where, out)
        for key, value in task.items():
            if isinstance(key, str) and key.startswith(PREFIXES):
                args = dict(task.get("args") or {})
                if isinstance(value, dict):
                    args.update(value)
                elif isinstance(value, str):  # the k=v form
                    args.update(p.split("=", 1) for p in value.split() if "=" in p)
                out.append((where, task.get("name", "?"), key, args))


def windows_tasks() -> list[tuple[str, str, str, dict]]:
    """(file, task name, module, args) of every Windows collection task under roles/ and playbooks/."""
    out: list = []
    files = sorted(ROOT.glob("roles/*/tasks/*.yml")) + sorted(ROOT.glob("roles/*/handlers/*.yml"))
    for path in files:
        _walk(yaml.safe_load(path.read_text(encoding="utf-8")), str(path.relative_to(ROOT)), out)
    for path in sorted(ROOT.glob("playbooks/*.yml")):
        for play in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(play, dict):
                for section in PLAY_SECTIONS:
                    _walk(play.get(section), str(path.relative_to(ROOT)), out)
    return out


def module_docs(modules) -> dict:
    """{fqcn: doc} from one ansible-doc call; a module the installed collections lack is absent."""
    env = os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    proc = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ansible-doc"), "-t", "module", "-j", *sorted(set(modules))],
        capture_output=True, text=True, check=False, cwd=ROOT, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return {name: entry["doc"] for name, entry in json.loads(proc.stdout).items()}


def _templated(value) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _type_problem(value, spec) -> str | None:
    """Why a literal VALUE does not fit SPEC's type where that is obvious; None if it fits or is templated."""
    if _templated(value) or value is None:
        return None
    kind = spec.get("type", "str")
    if kind == "bool":
        ok = isinstance(value, bool) or (isinstance(value, str) and value.lower() in BOOLEANS)
    elif kind == "int":
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and value.lstrip("-").isdigit()
        )
    elif kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "list":
        ok = isinstance(value, list | str | int)  # ansible splits a string on commas
    elif kind == "dict":
        ok = isinstance(value, dict | str)
    elif kind in ("str", "path"):
        ok = isinstance(value, str | int | float) and not isinstance(value, bool)
    else:  # raw, json, sid and the like
        return None
    if not ok:
        return f"is {type(value).__name__}, the spec says {kind}"
    choices = spec.get("choices")
    if choices and kind != "list" and not isinstance(value, bool) and str(value) not in map(str, choices):
        return f"{value!r} is not one of {choices}"
    return None


def _check_options(args, options, where, problems):
    names = {}
    for name, spec in options.items():
        names[name] = spec
        for alias in spec.get("aliases") or []:
            names[alias] = spec
    for key, value in args.items():
        spec = names.get(key)
        if spec is None:
            problems.append(f"{where}: unknown option {key!r} (the module has {', '.join(sorted(options))})")
            continue
        why = _type_problem(value, spec)
        if why:
            problems.append(f"{where}: option {key!r} {why}")
        subs = spec.get("suboptions")
        if subs and isinstance(value, dict):
            _check_options(value, subs, f"{where}.{key}", problems)
        elif subs and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    _check_options(item, subs, f"{where}.{key}[{index}]", problems)


def check(tasks, docs) -> list[str]:
    problems: list = []
    for where, name, module, args in tasks:
        doc = docs.get(module)
        label = f"{where}: {name}: {module}"
        if doc is None:
            problems.append(f"{label}: no such module in the installed collections")
            continue
        _check_options(args, doc.get("options") or {}, label, problems)
    return problems


@pytest.fixture(scope="module")
def tasks():
    return windows_tasks()


@pytest.fixture(scope="module")
def docs(tasks):
    return module_docs(
        [m for _, _, m, _ in tasks] + ["ansible.windows.win_package", "ansible.windows.win_stat"]
    )


def test_the_scan_finds_the_windows_leaves(tasks):
    modules = {m for _, _, m, _ in tasks}
    assert {
        "ansible.windows.win_package",
        "ansible.windows.win_stat",
        "ansible.windows.win_updates",
    } <= modules
    files = {w for w, _, _, _ in tasks}
    assert (
        "roles/endpoint_software/tasks/winrm.yml" in files and "roles/patch_windows/tasks/main.yml" in files
    )


def test_every_windows_leaf_uses_only_options_its_module_has(tasks, docs):
    assert check(tasks, docs) == []


def test_a_misspelt_option_fails_the_check(docs):
    task = [{"name": "Install", "ansible.windows.win_package": {"path": "x.msi", "prodcut_id": "{A}"}}]
    found: list = []
    _walk(task, "memory.yml", found)
    problems = check(found, docs)
    assert len(problems) == 1 and "unknown option 'prodcut_id'" in problems[0], problems
    assert problems[0].startswith("memory.yml: Install: ansible.windows.win_package")


def test_a_literal_of_the_wrong_type_or_choice_fails_and_a_template_or_alias_passes(docs):
    found: list = []
    _walk([{"name": "Stat", "ansible.windows.win_stat": {"path": "C:\\x", "get_checksum": [1],
                                                        "checksum_algorithm": "crc32"}},
           {"name": "Package", "ansible.windows.win_package": {"path": "{{ p }}", "state": "{{ s }}",
                                                              "expected_return_code": [0, 3010],
                                                              "product_id": "{A}"}},
           {"name": "Alias", "ansible.windows.win_stat": {"dest": "C:\\x", "get_checksum": "yes"}},
           {"name": "k=v", "ansible.windows.win_stat": "path=C:\\x get_md5=no"}],
          "memory.yml", found)  # fmt: skip
    problems = check(found, docs)
    assert any("'get_checksum' is list, the spec says bool" in p for p in problems), problems
    assert any("'checksum_algorithm' 'crc32' is not one of" in p for p in problems), problems
    assert any("k=v: ansible.windows.win_stat: unknown option 'get_md5'" in p for p in problems), problems
    assert not any("Package" in p or "Alias" in p for p in problems), problems
    assert len(problems) == 3


def test_an_unknown_module_fails_the_check(docs):
    problems = check([("memory.yml", "x", "ansible.windows.win_pakage", {})], docs)
    assert problems == [
        "memory.yml: x: ansible.windows.win_pakage: no such module in the installed collections"
    ]
