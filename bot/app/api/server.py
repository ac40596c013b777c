"""The HTTP API served beside the daemon: uvicorn in a thread of its own, never inside a tick.

The engine ticks on the scheduler's threads; requests run on uvicorn's event loop and its thread pool
and read the journal through their own DB connections, so a slow or stuck client delays no tick.
"""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI

from bot.domain.failures import BadInput

STARTUP_TIMEOUT_S = 15.0


class ApiNotStarted(BadInput):
    """The API could not listen (the port is taken, the address is not this machine's)."""


class ApiServer:
    def __init__(self, api: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(api, host=host, port=port, log_level="warning", access_log=False,
                                lifespan="off", server_header=False)  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="spotbot-api", daemon=True)
        self._host, self._port = host, port
        self._failure: BaseException | None = None

    def _serve(self) -> None:
        try:
            self._server.run()
        except BaseException as exc:  # SystemExit when it cannot bind: reported by start()
            self._failure = exc

    def start(self) -> str:
        """Start listening; returns the address (``http://host:port``, the real port when 0 was asked)."""
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ApiNotStarted(
                    f"api: cannot listen on {self._host}:{self._port} (taken, or not an address of this "
                    "machine); set api.port (0: any free port) or api.enabled = false"
                )
            time.sleep(0.02)
        sockets = [s for server in self._server.servers for s in server.sockets]
        port = sockets[0].getsockname()[1] if sockets else self._port
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
