# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One attempt of one check: (state, latency in ms or None, detail, extra fields)."""

from __future__ import annotations

import asyncio
import datetime
import os
import socket
import ssl
import time

from ansible.module_utils.sweep.certs import not_after
from ansible.module_utils.sweep.states import CRITICAL, OK, UNKNOWN, WARNING


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000.0, 2)


def _failure(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, socket.gaierror):
        return f"the name does not resolve ({exc.strerror})"
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno)
    return str(exc) or type(exc).__name__


async def tcp(address: str, port: int, timeout: float, **_) -> tuple:
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    started = time.monotonic()
    try:
        await asyncio.wait_for(loop.sock_connect(sock, (address, port)), timeout)
    except (TimeoutError, OSError) as exc:
        return CRITICAL, None, f"tcp {address}:{port}: {_failure(exc, timeout)}", {}
    finally:
        sock.close()
    latency = _elapsed_ms(started)
    return OK, latency, f"tcp {address}:{port} accepts connections", {}


def _context(ca_file: str | None, server_name: str | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
        context.check_hostname = bool(server_name)
        context.verify_mode = ssl.CERT_REQUIRED
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def tls(address: str, port: int, timeout: float, server_name=None, ca_file=None,
              cert_warning_days: int = 30, **_) -> tuple:
    try:
        context = _context(ca_file, server_name)
    except (OSError, ssl.SSLError) as exc:
        return UNKNOWN, None, f"tls {address}:{port}: cannot read the CA file {ca_file}: {exc}", {}
    started = time.monotonic()
    writer = None
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(address, port, ssl=context, server_hostname=server_name or None),
            timeout,
        )
        latency = _elapsed_ms(started)
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        return CRITICAL, None, f"tls {address}:{port}: certificate not trusted: {exc.verify_message}", {}
    except (TimeoutError, OSError, ssl.SSLError, EOFError) as exc:
        return CRITICAL, None, f"tls {address}:{port}: {_failure(exc, timeout)}", {}
    finally:
        if writer is not None:
            writer.close()
    try:
        expires = not_after(der)
    except (ValueError, IndexError, TypeError) as exc:
        return UNKNOWN, latency, f"tls {address}:{port}: cannot read the certificate's notAfter: {exc}", {}
    now = datetime.datetime.now(datetime.UTC)
    days = round((expires - now).total_seconds() / 86400.0, 2)
    extra = {"cert_not_after": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), "cert_days_left": days}
    verified = "verified" if ca_file else "not verified"
    if days < 0:
        detail = f"tls {address}:{port}: certificate expired {extra['cert_not_after']}"
        return CRITICAL, latency, detail, extra
    if days < cert_warning_days:
        detail = (f"tls {address}:{port}: certificate ({verified}) expires {extra['cert_not_after']}, "
                  f"in {days:.1f} days (warning below {cert_warning_days})")
        return WARNING, latency, detail, extra
    detail = f"tls {address}:{port}: handshake done, certificate ({verified}) valid {days:.0f} more days"
    return OK, latency, detail, extra


async def icmp(address: str, timeout: float, pinger=None, **_) -> tuple:
    if pinger is None or pinger.unavailable:
        return UNKNOWN, None, f"icmp {address}: {pinger.unavailable if pinger else 'no ICMP socket'}", {}
    started = time.monotonic()
    try:
        await pinger.echo(address, timeout)
    except (TimeoutError, OSError) as exc:
        return CRITICAL, None, f"icmp {address}: {_failure(exc, timeout)}", {}
    return OK, _elapsed_ms(started), f"icmp {address}: echo reply", {}


PROBES = {"tcp": tcp, "tls": tls, "icmp": icmp}
