# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One UPS model for both backends (NUT upsd and SNMP RFC 1628 UPS-MIB).

Status: what ups_info reports. Control: the shutdown schedule and delays ups_control manages,
read from either backend into the same shape, planned as backend steps, and confirmed after.
Pure functions here; the protocol clients are nut_client and snmp_ups.
"""

# the most serious condition wins when one word must describe the UPS
STATUS_ORDER = ("forced_shutdown", "low_battery", "on_battery", "bypass", "online")
CONTROL_STATES = ("configured", "scheduled", "cancelled")
DEFAULT_PORTS = {"nut": 3493, "snmp": 161}

# RFC 1628 enumerations
SNMP_BATTERY_STATUS = {1: "unknown", 2: "batteryNormal", 3: "batteryLow", 4: "batteryDepleted"}
SNMP_OUTPUT_SOURCE = {
    1: "other", 2: "none", 3: "normal", 4: "bypass", 5: "battery", 6: "booster", 7: "reducer",
}
SNMP_AUTO_RESTART = {1: True, 2: False}


def ups_argument_spec():
    """Connection options shared by ups_info and ups_control (inventory: jichitai_ups_*)."""
    return {
        "backend": {"type": "str", "required": True, "choices": ["nut", "snmp"]},
        "address": {"type": "str", "required": True},
        "port": {"type": "int"},
        "name": {"type": "str"},
        "user": {"type": "str"},
        "password": {"type": "str", "no_log": True},
        "community": {"type": "str", "default": "public", "no_log": True},
        "write_community": {"type": "str", "no_log": True},
        "timeout": {"type": "float", "default": 5.0},
    }


def _number(value, kind=float):
    if value in (None, ""):
        return None
    try:
        return kind(float(value)) if kind is int else kind(value)
    except (TypeError, ValueError):
        return None


def _status_word(flags):
    for word in STATUS_ORDER:
        if flags[word]:
            return word
    return "off" if flags.get("off") else "unknown"


def status_from_nut(variables):
    """The common status of a UPS from its NUT variables (LIST VAR)."""
    tokens = variables.get("ups.status", "").split()
    flags = {
        "online": "OL" in tokens,
        "on_battery": "OB" in tokens,
        "low_battery": "LB" in tokens,
        "bypass": "BYPASS" in tokens,
        "forced_shutdown": "FSD" in tokens,
        "off": "OFF" in tokens,
    }
    timer = _number(variables.get("ups.timer.shutdown"), int)
    start_timer = _number(variables.get("ups.timer.start"), int)
    return {
        "status": _status_word(flags),
        "flags": flags,
        "raw_status": variables.get("ups.status", ""),
        "battery_charge": _number(variables.get("battery.charge")),
        "runtime": _number(variables.get("battery.runtime"), int),
        "load": _number(variables.get("ups.load")),
        "input_voltage": _number(variables.get("input.voltage")),
        "shutdown_delay": _number(variables.get("ups.delay.shutdown"), int),
        "startup_delay": _number(variables.get("ups.delay.start"), int),
        "shutdown_pending": timer is not None and timer >= 0,
        "shutdown_countdown": timer if timer is not None and timer >= 0 else None,
        "startup_countdown": start_timer if start_timer is not None and start_timer >= 0 else None,
        "auto_restart": None,
        "manufacturer": variables.get("ups.mfr") or variables.get("device.mfr"),
        "model": variables.get("ups.model") or variables.get("device.model"),
    }


def status_from_snmp(values, alarms=()):
    """The common status of a UPS from its RFC 1628 objects (snmp_ups.OIDS names)."""
    source = values.get("output_source")
    battery = values.get("battery_status")
    flags = {
        "online": source in (3, 6, 7),
        "on_battery": source == 5,
        "low_battery": battery in (3, 4) or "low_battery" in alarms or "depleted_battery" in alarms,
        "bypass": source == 4,
        "forced_shutdown": "shutdown_imminent" in alarms,
        "off": source == 2,
    }
    minutes = values.get("minutes_remaining")
    shutdown = values.get("shutdown_after_delay")
    startup = values.get("startup_after_delay")
    return {
        "status": _status_word(flags),
        "flags": flags,
        "raw_status": (
            f"upsOutputSource={SNMP_OUTPUT_SOURCE.get(source, source)} "
            f"upsBatteryStatus={SNMP_BATTERY_STATUS.get(battery, battery)}"
        ),
        "battery_charge": _number(values.get("charge")),
        "runtime": minutes * 60 if isinstance(minutes, int) else None,
        "load": _number(values.get("output_load")),
        "input_voltage": _number(values.get("input_voltage")),
        # the UPS-MIB keeps no standing delays: they are the countdowns in effect
        "shutdown_delay": shutdown if isinstance(shutdown, int) and shutdown >= 0 else None,
        "startup_delay": startup if isinstance(startup, int) and startup >= 0 else None,
        "shutdown_pending": isinstance(shutdown, int) and shutdown >= 0,
        "shutdown_countdown": shutdown if isinstance(shutdown, int) and shutdown >= 0 else None,
        "startup_countdown": startup if isinstance(startup, int) and startup >= 0 else None,
        "auto_restart": SNMP_AUTO_RESTART.get(values.get("auto_restart")),
        "manufacturer": values.get("manufacturer"),
        "model": values.get("model"),
    }


# ---- control --------------------------------------------------------------------------------
def control_from_nut(variables):
    status = status_from_nut(variables)
    return {
        "shutdown_delay": status["shutdown_delay"],
        "startup_delay": status["startup_delay"],
        "shutdown_scheduled": status["shutdown_pending"],
        "auto_restart": None,
    }


def control_from_snmp(values):
    status = status_from_snmp(values)
    return {
        "shutdown_delay": status["shutdown_delay"],
        "startup_delay": status["startup_delay"],
        "shutdown_scheduled": status["shutdown_pending"],
        "auto_restart": status["auto_restart"],
    }


# Upper limits of the timer arguments, in seconds: far above any real outage plan (the shutdown
# is scheduled minutes ahead, the output comes back within a day) and far below what a typo makes
# of them (10^12 s would leave the UPS off for 30,000 years). The UPS-MIB itself takes up to 2^31.
DELAY_LIMITS = {"shutdown_delay": 7200, "startup_delay": 86400}
CONFIRM_TIMEOUT_MAX = 300.0


def control_argument_problems(shutdown_delay=None, startup_delay=None, confirm_timeout=None):
    """Out-of-range delays and timers of ups_control, found before the UPS is contacted."""
    errors = []
    for label, value in (("shutdown_delay", shutdown_delay), ("startup_delay", startup_delay)):
        if value is not None and not 0 <= value <= DELAY_LIMITS[label]:
            errors.append(f"{label} {value} is out of range (0 to {DELAY_LIMITS[label]} seconds)")
    if confirm_timeout is not None and not 0 < confirm_timeout <= CONFIRM_TIMEOUT_MAX:
        errors.append(
            f"confirm_timeout {confirm_timeout} is out of range "
            f"(more than 0, at most {CONFIRM_TIMEOUT_MAX:g} seconds)"
        )
    return errors


def _check_delays(shutdown_delay, startup_delay, errors):
    for label, value in (("shutdown_delay", shutdown_delay), ("startup_delay", startup_delay)):
        if value is not None and value < 0:
            errors.append(f"{label} must be 0 or more seconds (got {value})")
        elif value is not None and value > DELAY_LIMITS[label]:
            errors.append(f"{label} {value} is out of range (0 to {DELAY_LIMITS[label]} seconds)")
    if shutdown_delay is not None and startup_delay is not None and 0 <= startup_delay <= shutdown_delay:
        errors.append(
            f"startup_delay ({startup_delay} s) must be longer than shutdown_delay ({shutdown_delay} s), "
            "or the UPS would switch back on before it has switched off"
        )


def plan_nut(variables, commands, state, shutdown_delay=None, startup_delay=None, auto_restart=True):
    """(before, after, steps, errors) for a NUT UPS.

    steps: ("set_var", variable, value) and ("instcmd", command) in the order to run them.
    """
    before = control_from_nut(variables)
    after = dict(before)
    steps, errors = [], []
    if state == "cancelled" and (shutdown_delay is not None or startup_delay is not None):
        errors.append("shutdown_delay and startup_delay do not apply to state=cancelled")
    _check_delays(
        shutdown_delay if shutdown_delay is not None else before["shutdown_delay"],
        startup_delay if startup_delay is not None else before["startup_delay"],
        errors,
    )
    for option, var, value in (
        ("shutdown_delay", "ups.delay.shutdown", shutdown_delay),
        ("startup_delay", "ups.delay.start", startup_delay),
    ):
        if value is None or state == "cancelled":
            continue
        if var not in variables:
            errors.append(f"the UPS has no {var} variable, so {option} cannot be set")
        elif before[option] != value:
            steps.append(("set_var", var, str(value)))
            after[option] = value
    if state == "scheduled" and not before["shutdown_scheduled"]:
        command = "shutdown.return" if auto_restart else "shutdown.stayoff"
        if command not in commands:
            offered = ", ".join(sorted(commands)) or "none"
            errors.append(f"the UPS does not offer the instant command {command} (it offers: {offered})")
        steps.append(("instcmd", command))
        after["shutdown_scheduled"] = True
    if state == "cancelled" and before["shutdown_scheduled"]:
        if "shutdown.stop" not in commands:
            errors.append("the UPS does not offer the instant command shutdown.stop, so it cannot cancel")
        steps.append(("instcmd", "shutdown.stop"))
        after["shutdown_scheduled"] = False
    return before, after, steps, errors


def plan_snmp(values, state, shutdown_delay=None, startup_delay=None, auto_restart=True):
    """(before, after, writes, errors) for an RFC 1628 UPS; writes: {snmp_ups.OIDS name: int} for one SET."""
    before = control_from_snmp(values)
    after = dict(before)
    writes, errors = {}, []
    if state == "configured":
        errors.append(
            "the UPS-MIB (RFC 1628) keeps no delay settings apart from a scheduled shutdown: "
            "use state=scheduled with shutdown_delay (and startup_delay)"
        )
        return before, after, writes, errors
    if state == "cancelled":
        if shutdown_delay is not None or startup_delay is not None:
            errors.append("shutdown_delay and startup_delay do not apply to state=cancelled")
        if values.get("shutdown_after_delay", -1) >= 0:
            writes["shutdown_after_delay"] = -1
            after.update(shutdown_scheduled=False, shutdown_delay=None)
        if values.get("startup_after_delay", -1) >= 0:
            writes["startup_after_delay"] = -1
            after["startup_delay"] = None
        return before, after, writes, errors
    # scheduled
    _check_delays(shutdown_delay, startup_delay, errors)
    want_restart = 1 if auto_restart else 2
    if values.get("auto_restart") != want_restart:
        writes["auto_restart"] = want_restart
        after["auto_restart"] = bool(auto_restart)
    if not before["shutdown_scheduled"]:
        if shutdown_delay is None:
            errors.append("shutdown_delay is required to schedule a shutdown on an SNMP UPS")
        else:
            if startup_delay is not None:
                writes["startup_after_delay"] = startup_delay
                after["startup_delay"] = startup_delay
            # written last: setting it starts the countdown
            writes["shutdown_after_delay"] = shutdown_delay
            after.update(shutdown_scheduled=True, shutdown_delay=shutdown_delay)
    return before, after, writes, errors


def snmp_readback_problems(writes, values):
    """Written values the UPS does not show (a running countdown may have ticked down since)."""
    problems = []
    for name, wanted in writes.items():
        got = values.get(name)
        if name in ("shutdown_after_delay", "startup_after_delay") and wanted >= 0:
            ok = isinstance(got, int) and 0 <= got <= wanted
        else:
            ok = got == wanted
        if not ok:
            problems.append(f"{name}: wrote {wanted}, the UPS reports {got}")
    return problems
