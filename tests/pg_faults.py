"""Real PostgreSQL faults for tests: server processes terminated, connections cut around a COMMIT.

:func:`terminate` ends the server processes of one ``application_name`` (unique per test: other
people's tests share the server), as an administrator, a failover or a crash would.

:class:`PgProxy` is a TCP proxy in front of PostgreSQL. The store connects through it (``proxy.url(db_url)``);
the test then cuts a connection at the moment that matters, which ``pg_terminate_backend`` cannot hit:
around a COMMIT.

- :meth:`PgProxy.cut_at_next_commit` ``("after")``: the COMMIT reaches the server, which commits; its
  answer is thrown away and the connection closed. The client cannot know the write is stored.
- ``("before")``: the COMMIT is thrown away and the connection closed: the server rolls back.
- ``("hold")``: the COMMIT is thrown away and the client's side closed, but the server's side is kept
  open, as after a network cut: the server still holds the transaction open (until :meth:`release`).
- :meth:`refuse` closes the listening port: new connections are refused, as with a server that is down;
  :meth:`close` also drops the open ones; :meth:`listen` brings the server back.

Plain TCP: the proxy's URL turns TLS and GSS encryption off, so it can see the protocol's COMMIT.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Literal

from sqlalchemy import Engine, make_url, text


def terminate(admin: Engine, app_name: str) -> int:
    """End every server process of ``app_name``'s connections, waiting until each is gone; how many."""
    with admin.connect() as connection:
        ended = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE application_name = :name AND pid <> pg_backend_pid()"
            ),
            {"name": app_name},
        ).all()
    return len(ended)


CutMode = Literal["after", "before", "hold"]
_COMMIT = b"COMMIT"  # the client's COMMIT statement, and the server's CommandComplete tag for it


class _Link:
    """One client connection and its server connection."""

    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client, self.server = client, server
        self.cut: CutMode | None = None  # armed on this link: its COMMIT is on the way

    def close(self, *, keep_server: bool = False) -> None:
        for sock in (self.client,) if keep_server else (self.client, self.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


class PgProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._links: list[_Link] = []
        self._held: list[_Link] = []
        self._armed: CutMode | None = None
        self.cuts = 0
        self.port = 0
        self.listen()

    def listen(self) -> None:
        """Accept connections (again, after :meth:`refuse` or :meth:`close`: the server is back)."""
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def url(self, db_url: str) -> str:
        """``db_url`` pointed at this proxy, unencrypted."""
        url = make_url(db_url).set(host="127.0.0.1", port=self.port)
        url = url.update_query_dict({"sslmode": "disable", "gssencmode": "disable"})
        return url.render_as_string(hide_password=False)

    def cut_at_next_commit(self, mode: CutMode) -> None:
        with self._lock:
            self._armed = mode

    def release(self) -> None:
        """Close the server side of connections kept open by a ``hold`` cut (the server rolls back)."""
        with self._lock:
            held, self._held = self._held, []
        for link in held:
            link.close()

    def refuse(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone does not)
        self._listener.close()

    def close(self) -> None:
        self.refuse()
        self.release()
        with self._lock:
            links, self._links = self._links, []
        for link in links:
            link.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # refused / closed
            server = socket.create_connection(self._target)
            link = _Link(client, server)
            with self._lock:
                self._links.append(link)
            threading.Thread(target=self._to_server, args=(link,), daemon=True).start()
            threading.Thread(target=self._to_client, args=(link,), daemon=True).start()

    def _to_server(self, link: _Link) -> None:
        while data := _recv(link.client):
            if _COMMIT in data:
                with self._lock:
                    link.cut, self._armed = self._armed, None
                if link.cut in ("before", "hold"):
                    self._cut(link, keep_server=link.cut == "hold")
                    return
            try:
                link.server.sendall(data)
            except OSError:
                return
        link.close(keep_server=link in self._held)

    def _to_client(self, link: _Link) -> None:
        while data := _recv(link.server):
            if link.cut == "after" and _COMMIT in data:  # the server answered: it has committed
                self._cut(link, keep_server=False)
                return
            try:
                link.client.sendall(data)
            except OSError:
                return
        if link not in self._held:
            link.close()

    def _cut(self, link: _Link, *, keep_server: bool) -> None:
        with self._lock:
            self.cuts += 1
            if keep_server:
                self._held.append(link)
        link.close(keep_server=keep_server)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""
