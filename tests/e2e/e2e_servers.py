"""The session's throwaway servers, shared by the end-to-end suite (conftest.py)
and the real-app corpus (tests/corpus/conftest.py): started once, stopped at
the end of the session whatever happens."""
import atexit
import os
import signal

import pytest


def session_server(module, cls):
    """Start ONE throwaway server for the session and stop it (its directory
    removed) at the end, also on failure: a generator for a session fixture."""
    try:
        server = cls.start()
    except module.ServerUnavailable as exc:
        # A missing server fails: a skipped test proves nothing. Only an
        # explicit DBSYNC_ALLOW_MISSING_SERVERS=1 (never set by CI) skips.
        if exc.not_installed and os.environ.get("DBSYNC_ALLOW_MISSING_SERVERS") == "1":
            pytest.skip("%s (DBSYNC_ALLOW_MISSING_SERVERS=1)" % exc)
        pytest.fail(str(exc), pytrace=False)
    # SIGTERM (a CI timeout, kill) would end pytest without teardown: make it
    # an interrupt, which pytest unwinds through the fixtures' finalizers.
    previous = signal.getsignal(signal.SIGTERM)

    def interrupt(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    signal.signal(signal.SIGTERM, interrupt)
    atexit.register(server.stop)  # any other way out of the interpreter
    try:
        yield server
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
        atexit.unregister(server.stop)
