"""The project's module_utils (plugins/module_utils), imported as Ansible's controller imports them:
``ansible.module_utils.<package>``. The exporters run outside Ansible, so the folder is added to that
package's search path here: JICHITAI_MODULE_UTILS when set (an installation without the checkout),
else the checkout this package was installed from (``make venv`` installs it editable)."""

from __future__ import annotations

import os
from pathlib import Path

import ansible.module_utils


def enable() -> Path:
    folder = Path(
        os.environ.get("JICHITAI_MODULE_UTILS")
        or Path(__file__).resolve().parents[2] / "plugins" / "module_utils"
    )
    if not (folder / "ups" / "nut.py").is_file():
        raise RuntimeError(f"the project's module_utils are not at {folder}: set JICHITAI_MODULE_UTILS")
    if str(folder) not in ansible.module_utils.__path__:
        ansible.module_utils.__path__.append(str(folder))
    return folder
