"""Which lane each lab test runs in when the lab tests run side by side (tools/lab_suite.py, make test).

The lab tests run in four stages, one after the other; the two lanes of a stage run at the same time,
one test after another within each lane, and no test of one lane changes, stops or counts what a test
of the other lane reads:
1. `directory` (Samba AD and its share, the personnel transfer, backup and the off-site medium,
   antivirus, RADIUS) beside `network` (the Kea pair, the UPSes, the namespace hosts and their gateways,
   the apt repository, the My Number bundle);
2. `transfer` (the transfer stand-ins: their engines, drops and accounts, which the personnel tests of
   stage 1 put back exactly and the network lane's reboots would cut) beside `accounts` (the registers
   and onboarding, which need the directory and the appliances at once);
3. `alone`, one test at a time: the tests that read the whole lab and expect it healthy (the daily
   check, monitoring, the sweep) or power most of it off (the outage and alert drills, the NUT-down
   verdict);
4. `restart`: the lab's down and up again, with nothing else running (tools/lab_suite.py runs the tests
   that need no lab beside stage 3 and waits for them before this one).

Keys are pytest node ids or their prefixes (a file, or a file and test name); the longest key that
prefixes a test's id decides. A lab test no key names fails the collection, so a new test picks a lane.
"""

from __future__ import annotations

INTEGRATION = "tests/integration/"
MOLECULE = INTEGRATION + "test_molecule.py::test_scenario_on_the_lab"

DIRECTORY = [
    "test_lab_ad.py",
    "test_lab_ad_pair.py",
    "test_patch_ad_pair_lab.py",
    "test_personnel_clients.py",
    "test_personnel_dirty_inputs.py",
    "test_personnel_target_checks.py",
    "test_personnel_transfer.py",
    "test_workplan_report_verdicts_lab.py::test_a_prepare_apply",
    "test_module_arg_refusals.py::test_share_folders",
    "test_backup_lab.py",
    "test_backup_offsite_lab.py",
    "test_antivirus_lab.py",
    "test_lab_radius.py",
]
NETWORK = [
    "test_lab_kea.py",
    "test_dhcp_peer_down.py",
    "test_dhcp_reservations.py",
    "test_dhcp_rollback_truth.py",
    "test_module_arg_refusals.py::test_kea_pair",
    "test_module_arg_refusals.py::test_nut_ups",
    "test_monthly_report_lab.py",
    "test_lab_ups.py",
    "test_ups_modules.py",
    "test_outage_workplan_lab.py",
    "test_lab_apt_repo.py",
    "test_patch_servers_lab.py",
    "test_patch_mynumber_bundle_lab.py",
    "test_lab_hosts.py",
]
TRANSFER = ["test_lab_transfer.py", "test_transfer_modules.py"]
ACCOUNTS = ["test_registers_lab.py", "test_endpoint_onboard_lab.py"]
ALONE = [
    "test_daily_check_lab.py",
    "test_monitoring_lab.py",
    "test_sweep_lab.py",
    "test_workplan_report_verdicts_lab.py::test_nut_down",
    "test_alert_drill_lab.py",
    "test_alerts_lab.py",  # after the drill, which routes mon01's Alertmanager on a fresh lab
    "test_outage_lab.py",
]
RESTART = ["test_lab_hosts.py::test_down_leaves_nothing_and_up_restores_the_lab"]
SCENARIOS = {
    "directory": [
        "av_definitions", "backup_check", "backup_offsite", "backup_restore_test", "backup_run",
        "monthly_report", "personnel_transfer",
    ],
    "network": [
        "dhcp_sync", "health_gate", "outage_precheck", "outage_shutdown", "outage_startup", "patch_linux",
        "patch_mynumber_bundle", "registers", "workplan",
    ],
    "transfer": ["transfer_check"],
    "alone": ["daily_check", "monitoring_config"],
}  # fmt: skip
# the lanes of each stage, in the order the stages run
STAGES = [("directory", "network"), ("transfer", "accounts"), ("alone",), ("restart",)]

LANES = {
    **{INTEGRATION + key: "directory" for key in DIRECTORY},
    **{INTEGRATION + key: "network" for key in NETWORK},
    **{INTEGRATION + key: "transfer" for key in TRANSFER},
    **{INTEGRATION + key: "accounts" for key in ACCOUNTS},
    **{INTEGRATION + key: "alone" for key in ALONE},
    **{INTEGRATION + key: "restart" for key in RESTART},
    "tests/e2e/test_workplan_dhcp.py": "network",
    "tests/e2e/test_no_secret_in_documents.py::test_dhcp_flow": "network",
    **{f"{MOLECULE}[{name}]": lane for lane, names in SCENARIOS.items() for name in names},
}


def lane_of(nodeid: str) -> str | None:
    """The lane of the test NODEID: the value of the longest key that prefixes it, or None."""
    keys = [key for key in LANES if nodeid.startswith(key)]
    return LANES[max(keys, key=len)] if keys else None


def stage_of(lane: str) -> int:
    """The stage (1, 2, ...) LANE runs in."""
    return next(number for number, lanes in enumerate(STAGES, 1) if lane in lanes)
