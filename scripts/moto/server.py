"""Starts moto's server (with the sovereign extension) on 127.0.0.1 and a free port.

Usage: .venv/bin/python scripts/moto/server.py [--port N]   (default 0: the OS picks a free port)

Once the socket is bound and the extension installed, prints `PORT=<n>` on stdout (one line, flushed); everything
else goes to stderr. Stops on SIGTERM, SIGINT, or when stdin reaches EOF (so a parent that dies without cleaning up
does not leave the server behind: the harness keeps stdin as a pipe).
"""

import argparse
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sovereign_ext  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port to bind on 127.0.0.1 (0: any free port)")
    parser.add_argument("--no-stdin-watch", action="store_true", help="do not stop when stdin reaches EOF")
    args = parser.parse_args()

    sovereign_ext.install()
    # Fault injection (`POST /moto-api/sovereign/faults`, see sovereign_ext.FaultInjection) sits in front of moto.
    app = sovereign_ext.wrap_app(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_address[1]
    # moto builds some URLs from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)

    stop = threading.Event()

    def request_stop(*_: object) -> None:
        if not stop.is_set():
            stop.set()
            # shutdown() waits for serve_forever to return, so never call it on the serving thread.
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    if not args.no_stdin_watch:

        def watch_stdin() -> None:
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except (OSError, ValueError):
                pass
            request_stop()

        threading.Thread(target=watch_stdin, daemon=True).start()

    print(f"PORT={port}", flush=True)
    print(f"moto server (sovereign extension) listening on http://127.0.0.1:{port}", file=sys.stderr, flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
