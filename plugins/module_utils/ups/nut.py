# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client for the Network UPS Tools network protocol (upsd, TCP 3493).

Covers what the UPS modules need: LIST UPS / VAR / RW / CMD, GET VAR, SET VAR, INSTCMD,
USERNAME / PASSWORD, and SET TRACKING ON / GET TRACKING to learn whether the driver really
carried out a SET or INSTCMD (upsd only says it forwarded them).
"""

import socket
import time

# what each upsd error means for someone running a playbook
ERRORS = {
    "ACCESS-DENIED": "access denied (wrong user or password, or the user lacks the right in upsd.users)",
    "UNKNOWN-UPS": "upsd does not know this UPS name",
    "VAR-NOT-SUPPORTED": "the UPS does not have this variable",
    "CMD-NOT-SUPPORTED": "the UPS does not offer this instant command",
    "READONLY": "the variable is read-only",
    "INVALID-VALUE": "the UPS rejected the value",
    "INVALID-ARGUMENT": "invalid argument",
    "INVALID-PASSWORD": "invalid password",
    "USERNAME-REQUIRED": "log in first (USERNAME)",
    "PASSWORD-REQUIRED": "log in first (PASSWORD)",
    "DRIVER-NOT-CONNECTED": "upsd has lost contact with the UPS driver",
    "DATA-STALE": "the UPS driver's data is stale",
    "FEATURE-NOT-SUPPORTED": "upsd does not support this feature",
    "FEATURE-NOT-CONFIGURED": "this feature is not configured in upsd",
    "UNKNOWN-COMMAND": "upsd does not understand the command (older NUT?)",
}


class NutError(Exception):
    """upsd answered ERR, the connection failed, or a command was not confirmed."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


def quote(value):
    """A value as upsd expects it: in double quotes, with backslash escapes."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def split_line(line):
    """Split an upsd answer into words, honouring double quotes and backslash escapes."""
    words, word, in_quotes, escaped, started = [], [], False, False, False
    for char in line:
        if escaped:
            word.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            in_quotes = not in_quotes
            started = True
        elif char == " " and not in_quotes:
            if word or started:
                words.append("".join(word))
            word, started = [], False
        else:
            word.append(char)
    if word or started:
        words.append("".join(word))
    return words


class NutClient:
    """One connection to upsd. Use as a context manager."""

    def __init__(self, host, port=3493, timeout=5.0):
        self.host = host
        self.port = int(port)
        self.timeout = float(timeout)
        self._sock = None
        self._file = None
        self.tracking = False

    @property
    def endpoint(self):
        return f"upsd {self.host}:{self.port}"

    def connect(self):
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise NutError(f"cannot reach {self.endpoint}: {exc}") from exc
        self._file = self._sock.makefile("rw", encoding="utf-8", newline="\n")
        return self

    def close(self):
        if self._sock is None:
            return
        try:
            self._file.write("LOGOUT\n")
            self._file.flush()
        except OSError:
            pass
        self._file.close()
        self._sock.close()
        self._sock = self._file = None

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()

    def _send(self, line):
        try:
            self._file.write(line + "\n")
            self._file.flush()
        except OSError as exc:
            raise NutError(f"{self.endpoint}: connection lost: {exc}") from exc

    def _readline(self):
        try:
            line = self._file.readline()
        except OSError as exc:
            raise NutError(f"{self.endpoint}: no answer: {exc}") from exc
        if not line:
            raise NutError(f"{self.endpoint} closed the connection")
        return line.rstrip("\r\n")

    @staticmethod
    def _check(line, what):
        if line.startswith("ERR"):
            code = line.split()[1] if len(line.split()) > 1 else "UNKNOWN"
            raise NutError(f"{what}: ERR {code}: {ERRORS.get(code, 'error')}", code=code)
        return line

    def command(self, line, what=None):
        """Send one command; its single-line answer (ERR raises NutError)."""
        self._send(line)
        return self._check(self._readline(), what or line.split(" ")[0])

    def _list(self, query, what):
        self._send(f"LIST {query}")
        first = self._check(self._readline(), what)
        if first != f"BEGIN LIST {query}":
            raise NutError(f"{what}: unexpected answer {first!r}")
        rows = []
        while True:
            line = self._readline()
            if line == f"END LIST {query}":
                return rows
            rows.append(split_line(line))

    # ---- reading -------------------------------------------------------------------------
    def list_ups(self):
        """{ups name: description}"""
        return {row[1]: row[2] if len(row) > 2 else "" for row in self._list("UPS", "LIST UPS")}

    def list_var(self, ups):
        """{variable: value} of one UPS."""
        return {row[2]: row[3] for row in self._list(f"VAR {ups}", f"LIST VAR {ups}")}

    def list_rw(self, ups):
        return {row[2]: row[3] for row in self._list(f"RW {ups}", f"LIST RW {ups}")}

    def list_cmd(self, ups):
        return [row[2] for row in self._list(f"CMD {ups}", f"LIST CMD {ups}")]

    def get_var(self, ups, var):
        words = split_line(self.command(f"GET VAR {ups} {var}", f"GET VAR {ups} {var}"))
        return words[3] if len(words) > 3 else ""

    # ---- session and changes -------------------------------------------------------------
    def login(self, user, password):
        """USERNAME + PASSWORD. upsd answers OK even to a wrong password: it shows on the first change."""
        self.command(f"USERNAME {user}", "USERNAME")
        self.command(f"PASSWORD {password}", "PASSWORD")

    def enable_tracking(self):
        """SET TRACKING ON; False when upsd is too old to track commands."""
        try:
            self.command("SET TRACKING ON", "SET TRACKING")
        except NutError as exc:
            if exc.code in ("UNKNOWN-COMMAND", "INVALID-ARGUMENT", "FEATURE-NOT-SUPPORTED"):
                return False
            raise
        self.tracking = self.command("GET TRACKING", "GET TRACKING").strip() == "ON"
        return self.tracking

    @staticmethod
    def _tracking_id(answer):
        words = answer.split()
        return words[2] if len(words) >= 3 and words[1] == "TRACKING" else None

    def set_var(self, ups, var, value):
        """SET VAR; the tracking id when tracking is on."""
        answer = self.command(f"SET VAR {ups} {var} {quote(value)}", f"SET VAR {ups} {var}")
        return self._tracking_id(answer)

    def instcmd(self, ups, cmd, value=None):
        """INSTCMD; the tracking id when tracking is on."""
        line = f"INSTCMD {ups} {cmd}" + (f" {quote(value)}" if value is not None else "")
        return self._tracking_id(self.command(line, f"INSTCMD {ups} {cmd}"))

    def get_tracking(self, tracking_id):
        """PENDING, SUCCESS, or the ERR text the driver returned."""
        self._send(f"GET TRACKING {tracking_id}")
        return self._readline().strip()

    def wait_tracking(self, tracking_id, what, timeout=15.0, interval=0.25):
        """Wait until the driver has carried out a tracked command; NutError unless SUCCESS."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.get_tracking(tracking_id)
            if result == "SUCCESS":
                return result
            if result != "PENDING":
                code = result.split()[1] if result.startswith("ERR") and len(result.split()) > 1 else result
                raise NutError(f"{what}: the UPS did not carry it out (tracking: {result})", code=code)
            if time.monotonic() > deadline:
                raise NutError(
                    f"{what}: not confirmed by the UPS within {timeout:g} s (tracking still PENDING)",
                    code="PENDING",
                )
            time.sleep(interval)
