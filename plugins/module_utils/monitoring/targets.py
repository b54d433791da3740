# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What Prometheus probes and scrapes for each inventory host.

The endpoints are the liveness sweep's (filter sweep_targets: the checks a host gets from what it is and
how the playbooks reach it); each check becomes a blackbox probe of the module that fits it. Beside them:
the Kea Control Agent's HA state (http POST ha-heartbeat, healthy only in a normal HA state), the pool
use of the DHCP pair, the RADIUS service (an Access-Request of the probe account, by the project's exporter:
blackbox cannot speak RADIUS), UPSes over NUT (nut_exporter) or SNMP UPS-MIB (snmp exporter), and
windows_exporter on Windows hosts. Every target carries the labels the alert rules read: jichitai_host,
jichitai_site, jichitai_role, jichitai_pair, jichitai_probe.
"""

from __future__ import annotations

SSH = 22
SMB = 445
LDAPS = 636
WINRM_HTTPS = 5986
WINDOWS_EXPORTER = 9182
RADIUS = 1812
# Kea HA states in which the pair serves normally; any other (partner-down, waiting, syncing, ...) fails
KEA_HEALTHY_STATES = ("hot-standby", "load-balancing", "passive-backup")


class MonitoringError(ValueError):
    pass


def _labels(name, hv, probe):
    labels = {"jichitai_host": name, "jichitai_probe": probe}
    for key in ("site", "role", "pair", "segment"):
        if hv.get(f"jichitai_{key}"):
            labels[f"jichitai_{key}"] = str(hv[f"jichitai_{key}"])
    return labels


def _endpoint(address, port=None):
    host = str(address)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{int(port)}" if port else host


class Modules:
    """The blackbox modules the probes need, one per distinct configuration, named stably."""

    def __init__(self):
        self.modules = {}

    def add(self, base, config):
        for number in range(1, 100):
            name = base if number == 1 else f"{base}_{number}"
            if self.modules.get(name, config) == config:
                self.modules[name] = config
                return name
        raise MonitoringError(f"too many variants of blackbox module {base}")


def _tls(ca_file, server_name):
    config = {}
    if ca_file:
        config["ca_file"] = str(ca_file)
    if server_name:
        config["server_name"] = str(server_name)
    return config


def _check_probe(check, hv, modules):
    """(module, target) of a sweep check."""
    kind, port = check["type"], check.get("port")
    if kind == "icmp":
        return modules.add(
            "icmp", {"prober": "icmp", "timeout": "3s", "icmp": {"preferred_ip_protocol": "ip4"}}
        ), None
    if kind == "tls":
        if port == WINRM_HTTPS:
            base = "winrm_https"
        elif port == LDAPS or hv.get("jichitai_role") == "ad_dc":
            base = "ldaps"
        else:
            base = "tls"
        tcp = {"tls": True, "tls_config": _tls(check.get("ca_file"), check.get("server_name"))}
        return modules.add(base, {"prober": "tcp", "timeout": "5s", "tcp": tcp}), port
    if port == SSH and hv.get("jichitai_os_family") == "linux":
        tcp = {"query_response": [{"expect": "^SSH-2.0-"}]}
        return modules.add("ssh_banner", {"prober": "tcp", "timeout": "5s", "tcp": tcp}), port
    base = "smb" if port == SMB else "tcp_connect"
    return modules.add(base, {"prober": "tcp", "timeout": "5s"}), port


def kea_ha_module(password_file, user, ca_file=None):
    http = {
        "method": "POST",
        "headers": {"Content-Type": "application/json"},
        "body": '{"command": "ha-heartbeat", "service": ["dhcp4"]}',
        "valid_status_codes": [200],
        "basic_auth": {"username": str(user), "password_file": str(password_file)},
        "fail_if_body_not_matches_regexp": ['"state": ?"(' + "|".join(KEA_HEALTHY_STATES) + ')"'],
    }
    if ca_file:
        http["tls_config"] = {"ca_file": str(ca_file)}
    return {"prober": "http", "timeout": "5s", "http": http}


def _is_radius(hv):
    return hv.get("jichitai_role") == "radius" or "role_radius" in (hv.get("group_names") or [])


def radius_exporter(radius, secrets_dir):
    """What the exporter needs to probe the RADIUS servers: its ``--radius NAME=HOST:PORT`` arguments
    and the two files it reads (the shared secret, the probe account), each named by the variables that
    hold their content (no secret travels in the model). One secret and one account for all servers."""
    if not radius:
        return {}
    return {
        "args": [arg for item in radius for arg in ("--radius", f"{item['target']}={item['endpoint']}")],
        "hosts": [item["target"] for item in radius],
        "secret_file": f"{secrets_dir}/radius.secret",
        "auth_file": f"{secrets_dir}/radius-probe.auth",
        "secret_variable": "jichitai_radius_secret",
        "user_variable": "jichitai_radius_probe_user",
        "password_variable": "jichitai_radius_probe_password",
    }


def monitoring_model(sweep, hostvars, options):
    """The whole monitoring configuration as data: probes, scrape jobs, blackbox modules, secret files.

    sweep: the output of sweep_targets for the monitored hosts (its errors, such as a host without an
    address, are raised there). options: secrets_dir, nut_exporter, snmp_module, windows_exporter,
    windows_exporter_port, kea_pools."""
    modules = Modules()
    blackbox, nut, snmp, windows, kea_pools, password_files, radius = [], [], [], [], [], [], []
    for target in sorted(sweep, key=lambda t: t["name"]):
        name, address = target["name"], target["address"]
        hv = hostvars[name]
        role = hv.get("jichitai_role")
        for check in target["checks"]:
            module, port = _check_probe(check, hv, modules)
            endpoint = _endpoint(check.get("address") or address, port)
            blackbox.append({"module": module, "target": endpoint, "labels": _labels(name, hv, module)})
        # a DHCP peer is also probed for its HA state: a peer that stops is down (its Control Agent does
        # not connect) and its partner, in partner-down, degrades the pair without being down itself
        if role == "dhcp" and hv.get("jichitai_kea_api_url"):
            url = str(hv["jichitai_kea_api_url"])
            secret = f"{options['secrets_dir']}/kea-{name}.password"
            module = modules.add(
                f"kea_ha_{name}".replace("-", "_"),
                kea_ha_module(
                    secret, hv.get("jichitai_kea_api_user", ""), hv.get("jichitai_kea_api_ca_file")
                ),
            )
            blackbox.append({"module": module, "target": url, "labels": _labels(name, hv, "kea_ha")})
            password_files.append({"host": name, "path": secret, "variable": "jichitai_kea_api_password"})
            if options.get("kea_pools", True):
                kea_pools.append({"target": url, "labels": _labels(name, hv, "kea_pools")})
        if _is_radius(hv):
            endpoint = _endpoint(
                hv.get("jichitai_radius_address") or address, hv.get("jichitai_radius_port") or RADIUS
            )
            radius.append({"target": name, "endpoint": endpoint, "labels": _labels(name, hv, "radius")})
        backend = hv.get("jichitai_ups_backend")
        if backend == "nut":
            server = _endpoint(hv.get("jichitai_ups_address") or address, hv.get("jichitai_ups_port") or 3493)
            ups = str(hv.get("jichitai_ups_name") or name)
            labels = _labels(name, hv, "nut") | {"ups_server": server}
            nut.append({"target": ups, "labels": labels})
        elif backend == "snmp":
            endpoint = _endpoint(
                hv.get("jichitai_ups_address") or address, hv.get("jichitai_ups_port") or 161
            )
            snmp.append({"target": endpoint, "labels": _labels(name, hv, "ups_mib")})
        if hv.get("jichitai_os_family") == "windows" and options.get("windows_exporter"):
            port = options.get("windows_exporter_port") or WINDOWS_EXPORTER
            reached = hv.get("ansible_host") or address
            windows.append(
                {"target": _endpoint(reached, port), "labels": _labels(name, hv, "windows_exporter")}
            )
    return {
        "blackbox": blackbox,
        "nut": nut,
        "snmp": snmp,
        "windows": windows,
        "kea_pools": kea_pools,
        "blackbox_modules": dict(sorted(modules.modules.items())),
        "password_files": password_files,
        "radius": radius,
        "radius_exporter": radius_exporter(radius, options["secrets_dir"]),
    }


def _static(items):
    """One static config per target, in a stable order (the same inventory gives the same file)."""
    ordered = sorted(items, key=lambda item: (item["labels"].get("jichitai_host", ""), item["target"]))
    return [{"targets": [item["target"]], "labels": dict(sorted(item["labels"].items()))} for item in ordered]


def _via(exporter, param="target"):
    """Relabelling of a multi-target exporter: the target becomes a URL parameter."""
    return [
        {"source_labels": ["__address__"], "target_label": f"__param_{param}"},
        {"source_labels": [f"__param_{param}"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": exporter},
    ]


def scrape_configs(model, options):
    """Prometheus scrape_configs: one job per blackbox module, then UPSes, DHCP pools, Windows, engines."""
    jobs = []
    by_module = {}
    for probe in model["blackbox"]:
        by_module.setdefault(probe["module"], []).append(probe)
    for module, probes in sorted(by_module.items()):
        jobs.append({
            "job_name": f"blackbox_{module}",
            "metrics_path": "/probe",
            "params": {"module": [module]},
            "static_configs": _static(probes),
            "relabel_configs": _via(options["blackbox"]),
        })  # fmt: skip
    if model["nut"]:
        relabel = [
            {"source_labels": ["ups_server"], "target_label": "__param_server"},
            *_via(options["nut_exporter"], "ups"),
        ]
        jobs.append(
            {
                "job_name": "ups_nut",
                "metrics_path": "/ups_metrics",
                "static_configs": _static(model["nut"]),
                "relabel_configs": relabel,
            }
        )
    if model["snmp"]:
        jobs.append({
            "job_name": "ups_snmp",
            "metrics_path": "/snmp",
            "params": {"module": [options["snmp_module"]]},
            "static_configs": _static(model["snmp"]),
            "relabel_configs": _via(options["snmp"]),
        })  # fmt: skip
    if model["kea_pools"]:
        jobs.append({
            "job_name": "dhcp_pools",
            "metrics_path": "/kea_metrics",
            "static_configs": _static(model["kea_pools"]),
            "relabel_configs": _via(options["kea_exporter"]),
        })  # fmt: skip
    if model.get("radius"):
        jobs.append({
            "job_name": "radius",
            "metrics_path": "/radius_metrics",
            "static_configs": _static(model["radius"]),
            "relabel_configs": _via(options.get("radius_exporter") or options["kea_exporter"]),
        })  # fmt: skip
    if model["windows"]:
        jobs.append({"job_name": "windows_exporter", "static_configs": _static(model["windows"])})
    host = options["monitoring_host"]
    engines = [
        {"target": address, "labels": {"jichitai_host": host, "jichitai_probe": "engine", "engine": engine}}
        for engine, address in sorted(options["engines"].items())
    ]
    jobs.append({"job_name": "monitoring_engines", "static_configs": _static(engines)})
    return jobs
