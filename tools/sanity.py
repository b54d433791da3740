"""Run `ansible-test sanity` on the project's modules and plugins, offline from Galaxy.

ansible-test only works on a collection, so this lays the plugin code out as a temporary collection
tree `<tmp>/ansible_collections/jichitai/ops/` (the repository itself keeps its playbook-adjacent
layout: library/, filter_plugins/, plugins/...). In the copy only:

- module_utils imports `ansible.module_utils.<project package>` become
  `ansible_collections.jichitai.ops.plugins.module_utils.<project package>`;
- the project's documentation fragments are named `jichitai.ops.<fragment>`.

ansible-test builds one virtual environment per test and bootstraps pip in it with a get-pip script
it downloads from the Internet. This tool stores an offline bootstrap script in ansible-test's own
cache instead (pip from the interpreter's bundled wheel through ensurepip), so the only network the
run needs is the Python package index, and only the first time (the environments are cached in
~/.ansible/test/venv).

Usage: python tools/sanity.py [--keep] [--test NAME ...] [extra ansible-test arguments]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE, NAME = "jichitai", "ops"
PYTHON = "3.11"
TESTS = (
    "validate-modules",
    "pylint",
    "pep8",
    "import",
    "action-plugin-docs",
    "ansible-doc",
    # cheap default tests that need nothing beyond the sanity virtual environments
    "compile",
    "runtime-metadata",
    "shebang",
    "symlinks",
    "line-endings",
    "no-assert",
    "no-get-exception",
    "no-illegal-filenames",
    "no-smart-quotes",
    "replace-urlopen",
    "use-argspec-type-path",
    "use-compat-six",
    "empty-init",
    "ignores",
    "yamllint",
)

# source (relative to the repository) -> destination inside the collection
LAYOUT = (
    ("library", "plugins/modules", "*.py"),
    ("roles/health_gate/library", "plugins/modules", "*.py"),
    ("plugins/doc_fragments", "plugins/doc_fragments", "*.py"),
    ("plugins/action", "plugins/action", "*.py"),
    ("plugins/callback", "plugins/callback", "*.py"),
    ("plugins/inventory", "plugins/inventory", "*.py"),
    ("plugins/vars", "plugins/vars", "*.py"),
    ("plugins/strategy", "plugins/strategy", "*.py"),
    ("filter_plugins", "plugins/filter", "*.py"),
    ("filter_plugins", "plugins/filter", "*.yml"),
)

GET_PIP_OFFLINE = '''\
"""Stand-in for get-pip.py written by tools/sanity.py: bootstraps pip from the interpreter's bundled
wheel (ensurepip) instead of a script downloaded from the Internet, then installs what ansible-test
asked for (a pinned pip) from the package index."""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "pip", "install", "-q"] + args)
'''


def ansible_test_pip_version() -> str:
    from ansible_test._internal.python_requirements import get_venv_packages  # noqa: PLC0415

    class _Python:  # get_venv_packages only reads .version
        version = PYTHON

    return get_venv_packages(_Python())["pip"]


def seed_offline_get_pip() -> None:
    version = ansible_test_pip_version()
    cache = Path.home() / ".ansible/test/cache" / f"get_pip_{version.replace('.', '_')}.py"
    if cache.exists() and cache.read_text(encoding="utf-8") == GET_PIP_OFFLINE:
        return
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(GET_PIP_OFFLINE, encoding="utf-8")


def build_collection(base: Path) -> Path:
    coll = base / "ansible_collections" / NAMESPACE / NAME
    for src, dest, pattern in LAYOUT:
        (coll / dest).mkdir(parents=True, exist_ok=True)
        for path in sorted((ROOT / src).glob(pattern)):
            if path.name == "__init__.py" and src != "plugins/module_utils":
                continue
            shutil.copy2(path, coll / dest / path.name)
    shutil.copytree(
        ROOT / "plugins/module_utils",
        coll / "plugins/module_utils",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    shutil.copy2(ROOT / "LICENSE", coll / "LICENSE")
    (coll / "meta").mkdir()
    (coll / "meta/runtime.yml").write_text("---\nrequires_ansible: '>=2.19.0'\n", encoding="utf-8")
    (coll / "galaxy.yml").write_text(
        f"---\nnamespace: {NAMESPACE}\nname: {NAME}\nversion: 1.0.0\nreadme: README.md\n"
        "authors:\n  - jichitai-ops\nlicense:\n  - GPL-3.0-or-later\n",
        encoding="utf-8",
    )
    (coll / "README.md").write_text("Sanity-test copy of jichitai-ops plugins.\n", encoding="utf-8")
    ignore = ROOT / "tests/sanity" / f"ignore-{ansible_core_minor()}.txt"
    if ignore.exists():
        (coll / "tests/sanity").mkdir(parents=True)
        shutil.copy2(ignore, coll / "tests/sanity" / ignore.name)

    utils = ROOT / "plugins/module_utils"
    packages = sorted(p.name for p in utils.iterdir() if p.is_dir() and p.name != "__pycache__")
    packages += sorted(p.stem for p in utils.glob("*.py") if p.stem != "__init__")
    fragments = sorted(p.stem for p in (ROOT / "plugins/doc_fragments").glob("*.py"))
    import_re = re.compile(r"\bansible\.module_utils\.(" + "|".join(map(re.escape, packages)) + r")\b")
    fragment_re = re.compile(
        r"^(\s*-\s*|extends_documentation_fragment:\s*)(" + "|".join(fragments) + r")\s*$", re.M
    )
    prefix = f"ansible_collections.{NAMESPACE}.{NAME}.plugins.module_utils."
    for path in coll.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        new = import_re.sub(lambda m: prefix + m.group(1), text) if packages else text
        if fragments:
            new = fragment_re.sub(lambda m: f"{m.group(1)}{NAMESPACE}.{NAME}.{m.group(2)}", new)
        if new != text:
            path.write_text(new, encoding="utf-8")
    return coll


def ansible_core_minor() -> str:
    from ansible.release import __version__  # noqa: PLC0415

    return ".".join(__version__.split(".")[:2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary collection tree")
    parser.add_argument("--test", action="append", help="run only this sanity test (repeatable)")
    args, extra = parser.parse_known_args()

    started = time.monotonic()
    seed_offline_get_pip()
    base = Path(tempfile.mkdtemp(prefix="jichitai-sanity-"))
    try:
        coll = build_collection(base)
        # ansible-test lists a collection's files through git when the tree is a repository
        subprocess.run(["git", "init", "-q", "."], cwd=coll, check=True)
        subprocess.run(["git", "add", "-A", "."], cwd=coll, check=True)
        cmd = [str(Path(sys.executable).parent / "ansible-test"), "sanity", "--python", PYTHON]
        for test in args.test or TESTS:
            cmd += ["--test", test]
        cmd += extra
        env = os.environ | {"ANSIBLE_CONFIG": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        env.pop("ANSIBLE_COLLECTIONS_PATH", None)
        proc = subprocess.run(cmd, cwd=coll, env=env, check=False)
        print(f"sanity: rc {proc.returncode} in {time.monotonic() - started:.0f} s", file=sys.stderr)
        return proc.returncode
    finally:
        if args.keep:
            print(f"sanity: collection tree kept at {base}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
