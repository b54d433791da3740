"""The workplan_linear strategy loads the filter and test plugins before any worker forks, so a task's
worker finds them loaded instead of loading every plugin file again."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# After the strategy's load, no filter or test may need a plugin file loaded: a worker forked from
# here (it inherits this memory) would not load one either.
WORKER_VIEW = """
import sys
from ansible.plugins import loader
from ansible.plugins.loader import filter_loader, init_plugin_loader, test_loader

init_plugin_loader()
sys.path.insert(0, "plugins/strategy")
import workplan_linear

loaded = []
if sys.argv[1] == "loaded":
    workplan_linear._load_jinja_plugins()
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


def test_a_worker_loads_no_filter_or_test_plugin_after_the_strategy_loaded_them():
    assert plugin_files_loaded("loaded") == 0


def test_without_the_strategy_the_first_filter_loads_every_plugin_file():
    # the cost the strategy saves each task's worker: this project's filter_plugins files among them
    assert plugin_files_loaded("not loaded") >= len(list((ROOT / "filter_plugins").glob("*.py")))
