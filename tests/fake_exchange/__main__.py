"""Run the fake exchange standalone: ``python -m tests.fake_exchange --port 8765``.

Prints ``fake exchange listening on http://127.0.0.1:PORT`` (flushed) once it accepts connections, then
serves until SIGTERM or Ctrl-C. Control it with ``RemoteFakeExchange(url)`` or plain HTTP.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from tests.fake_exchange.server import FakeExchangeServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_exchange", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (read it from stdout)")
    args = parser.parse_args(argv)
    server = FakeExchangeServer(args.host, args.port)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"fake exchange listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.state.stopping.set()
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
