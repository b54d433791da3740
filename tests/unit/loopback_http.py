"""A stand-in HTTP API on loopback for the unit tests of the appliance clients (Kea, transfer systems):
`serving(server)` runs a ThreadingHTTPServer on its own thread and stops it afterwards."""

from __future__ import annotations

import contextlib
import threading


@contextlib.contextmanager
def serving(server):
    """Serve SERVER (a http.server.ThreadingHTTPServer bound to 127.0.0.1) until the block ends."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
