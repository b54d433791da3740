"""What the daily check's role feeds the decision layer besides the probes' own results: Linux `df`
output, a host that could not be read, a host name not in the inventory, and the 異常 lines turned into
Alertmanager alerts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "filter_plugins"))
import daily_check as dc  # noqa: E402
import daily_check_alerts as dca  # noqa: E402

FILTERS = dc.FilterModule().filters()
disk_items = FILTERS["daily_check_disk_items"]

DF = """Filesystem     Type     1B-blocks        Used   Available Capacity Mounted on
overlay        overlay 270553174016 191936622592 78616551424      71% /
proc           proc               0           0           0        - /proc
tmpfs          tmpfs       67108864           0    67108864       0% /run
/dev/vdb1      ext4     10737418240  10200547328   536870912      95% /srv/backup
"""


class HostVars(dict):
    """Ansible's hostvars answer an unknown name with an undefined value instead of None."""

    def get(self, key, default=None):
        return super().get(key, object())


def test_df_output_counts_real_filesystems_and_the_root_even_when_it_is_an_overlay():
    (item,) = disk_items([{"host": "backup01", "os_family": "linux", "source": "df", "data": DF}], 80, 90)
    assert item["state"] == "critical"  # /srv/backup is 95 % used
    assert "/srv/backup" in item["detail"] and "/run" not in item["detail"]
    only_root = DF.rsplit("/dev", 1)[0]
    (root,) = disk_items([{"host": "b", "os_family": "linux", "source": "df", "data": only_root}], 80, 90)
    assert root["state"] == "ok" and root["detail"].startswith("/ ")


def test_a_df_line_that_is_not_df_output_is_refused_naming_the_host_and_line():
    with pytest.raises(Exception, match=r"mail01: df line 2"):
        disk_items([{"host": "mail01", "os_family": "linux", "source": "df",
                     "data": "Filesystem\nbroken line\n"}])


def test_a_host_that_could_not_be_read_is_unknown_not_a_failure():
    (item,) = disk_items([{"host": "mail01", "os_family": "linux", "source": "df", "data": "",
                           "error": "Failed to connect to the host via ssh"}])
    assert item["state"] == "unknown" and "ssh" in item["detail"]


def test_a_name_outside_the_inventory_is_labelled_with_itself():
    (item, _endpoints) = FILTERS["daily_check_av_items"](
        {"server": {"name": "av-mgmt", "definition_date": "2026-12-06"}, "endpoints": []},
        2, "2026-12-06T07:30:00+09:00", HostVars(ad01={"jichitai_description": "AD"}))
    assert item["label"] == "av-mgmt" and item["state"] == "ok"


def test_each_abnormal_line_becomes_one_alert_labelled_as_the_monitoring_labels_its_own():
    items = [{"category": "dhcp", "host": "dhcp02", "label": "DHCP（2号機）", "check": "死活",
              "state": "critical", "detail": "応答なし", "action": "機器を確認する"}]
    (alert,) = dca.daily_check_alerts(items, "/work/daily_check/20261206T073000")
    assert alert["labels"] == {
        "alertname": "JichitaiDailyCheck", "severity": "critical", "jichitai_host": "dhcp02",
        "jichitai_check": "daily_check", "jichitai_item": "dhcp",
    }
    assert "dhcp02" in alert["annotations"]["summary_ja"]
    assert alert["annotations"]["action_ja"] == "機器を確認する"
    with pytest.raises(Exception, match="#1 has no host"):
        dca.daily_check_alerts([{"state": "critical"}])
