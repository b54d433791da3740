"""Planning an outage without the site's vault: one error before the first host, naming each missing
vault variable, how many hosts need it and the --vault-id to pass; no secret value in the output."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def plan_without_vault(playbook: str, window: tuple[str, str]) -> tuple[int, str]:
    env = os.environ | {"ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"}
    env.pop("ANSIBLE_VAULT_IDENTITY_LIST", None)  # the city's vault is not passed (nor in the repository)
    out = subprocess.run(
        [str(ROOT / ".venv/bin/ansible-playbook"), "-i", "inventories/moriguchi", f"playbooks/{playbook}",
         "--check", "--diff", "-e", f"workplan_window_start={window[0]}",
         "-e", f"workplan_window_end={window[1]}"],
        capture_output=True, text=True, cwd=ROOT, check=False, env=env, timeout=300,
    )  # fmt: skip
    return out.returncode, " ".join((out.stdout + out.stderr).split())


@pytest.mark.parametrize(
    ("playbook", "window", "windows_hosts"),
    [
        # the shutdown reaches the PCs too (about a thousand), the startup leaves them to their users
        ("outage_shutdown.yml", ("2026-08-22T21:00", "2026-08-22T23:00"), range(900, 2000)),
        ("outage_startup.yml", ("2026-08-23T06:00", "2026-08-23T09:00"), range(1, 100)),
    ],
)
def test_one_error_before_the_first_host_names_the_vault_variables(playbook, window, windows_hosts):
    code, text = plan_without_vault(playbook, window)
    assert code != 0
    assert (
        "認証情報が未定義のため、どの機器にも接続せずに中止しました / "
        "credentials undefined, no host was contacted:"
    ) in text
    windows = r"ansible_password needs vault_jichitai_windows_password, which is undefined \((\d+) host"
    found = re.search(windows, text)
    assert found and int(found.group(1)) in windows_hosts, text
    for variable in ("vault_jichitai_kea_api_password", "vault_jichitai_ldap_bind_password",
                     "vault_jichitai_ups_community", "vault_jichitai_ups_write_community"):  # fmt: skip
        assert f"needs {variable}, which is undefined" in text
    assert "pass the site's vault with --vault-id moriguchi@prompt (or @<password file>)" in text
    assert "inventories/moriguchi/group_vars/all/vault.yml" in text
    # the run stopped at the pre-flight: one failure, on the controller, nothing else ran
    assert text.count("fatal:") == 1 and "is undefined" not in text.split("PLAY RECAP")[1]
    recap = text.split("PLAY RECAP")[1]
    assert re.search(r"localhost : ok=\d+ changed=0 unreachable=0 failed=1", recap)
    assert "lgnb" not in recap and "ad01" not in recap
