"""The workplan callback loads the filter and test plugins when the playbook starts, before any worker
forks from the controller, so a task's worker finds them loaded instead of loading every plugin file
again."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# After the playbook's start, no filter or test may need a plugin file loaded: a worker forked from
# here (it inherits this memory) would not load one either.
WORKER_VIEW = """
import os, sys, types
from ansible.plugins import loader
from ansible.plugins.loader import callback_loader, filter_loader, init_plugin_loader, test_loader

init_plugin_loader()
loaded = []
if sys.argv[1] == "started":
    callback = callback_loader.get("workplan")
    callback.v2_playbook_on_start(types.SimpleNamespace(_file_name=os.path.abspath("playbooks/dhcp_sync.yml")))
original = loader.PluginLoader._load_module_source
def counted(self, *args, **kwargs):
    loaded.append(kwargs.get("path") or args)
    return original(self, *args, **kwargs)
loader.PluginLoader._load_module_source = counted
assert filter_loader.get("ip_ledger_records") is not None  # this project's filter_plugins
assert filter_loader.get("ansible.builtin.to_json") is not None
assert test_loader.get("ansible.builtin.match") is not None
print(len(loaded))
"""


def plugin_files_loaded(when: str) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", WORKER_VIEW, when],
        cwd=ROOT,
        env=os.environ | {"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return int(proc.stdout.split()[-1])


def test_a_worker_loads_no_filter_or_test_plugin_once_the_playbook_started():
    assert plugin_files_loaded("started") == 0


def test_without_it_a_workers_first_filter_loads_every_plugin_file():
    # the cost the callback saves each task's worker: this project's filter_plugins files among them
    assert plugin_files_loaded("not started") >= len(list((ROOT / "filter_plugins").glob("*.py")))
