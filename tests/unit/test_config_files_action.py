"""config_files' action plugin: files[].src rendered on the controller, as ansible.builtin.template renders.

A real ansible-playbook run against files in a temporary folder: the check run says the file would
change and writes nothing, the apply writes the rendered template (the play's variables and
ansible_managed), a second apply changes nothing, and a file given both content and src is refused
before any file is written.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"


def playbook(tmp_path: Path, files: list) -> Path:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "site.conf.j2").write_text("# {{ ansible_managed }}\nsite: {{ site_name }}\n")
    book = tmp_path / "write.yml"
    play = {
        "name": "Write a file from its template",
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {"site_name": "守口市役所"},
        "tasks": [{"name": "Write", "config_files": {"files": files}, "register": "written"}],
    }
    book.write_text(yaml.safe_dump([play], allow_unicode=True))
    return book


def run(book: Path, *args: str) -> tuple[int, dict]:
    env = os.environ | {
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
        "ANSIBLE_NOCOLOR": "1",
        "JICHITAI_WORKPLAN_DIR": str(book.parent / "plans"),  # the workplan callback records this run here
    }
    out = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(book), *args]
        + ["-e", f"ansible_python_interpreter={VENV_BIN / 'python'}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    data = json.loads(out.stdout)
    return out.returncode, data["plays"][0]["tasks"][0]["hosts"]["localhost"]


def test_a_template_is_rendered_on_the_controller_planned_written_and_then_left_alone(tmp_path):
    dest = tmp_path / "site.conf"
    book = playbook(tmp_path, [{"dest": str(dest), "src": "site.conf.j2", "mode": "0644"}])
    rc, planned = run(book, "--check", "--diff")
    assert rc == 0 and planned["changed"] and planned["changed_paths"] == [str(dest)]
    assert not dest.exists()
    assert planned["diff"][0]["after"] == "# Ansible managed\nsite: 守口市役所\n"
    rc, applied = run(book)
    assert rc == 0 and applied["changed"]
    assert dest.read_text() == "# Ansible managed\nsite: 守口市役所\n"
    rc, again = run(book, "--diff")
    assert rc == 0 and not again["changed"] and again["changed_paths"] == []


def test_a_file_given_both_content_and_src_is_refused_and_nothing_is_written(tmp_path):
    first, second = tmp_path / "first.conf", tmp_path / "second.conf"
    book = playbook(
        tmp_path,
        [
            {"dest": str(first), "content": "ok\n"},
            {"dest": str(second), "content": "ok\n", "src": "site.conf.j2"},
        ],
    )
    rc, refused = run(book)
    assert rc != 0 and refused["failed"]
    assert f"{second}: give content or src, not both" in refused["msg"]
    assert not first.exists() and not second.exists()


def test_a_missing_template_names_its_file(tmp_path):
    dest = tmp_path / "site.conf"
    rc, refused = run(playbook(tmp_path, [{"dest": str(dest), "src": "absent.j2"}]))
    assert rc != 0 and refused["failed"] and str(dest) in refused["msg"] and "absent.j2" in refused["msg"]
    assert not dest.exists()
