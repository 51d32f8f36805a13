"""A TCP proxy on 127.0.0.1 that a test can cut and restore: a database outage without
stopping the shared PostgreSQL server.

    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/mydb"
        ...
        proxy.cut()       # every open connection is closed; new ones are accepted and dropped
        proxy.attempts    # connections tried since the cut (each one is a client retrying)
        proxy.restore()   # new connections reach the server again

While cut the proxy keeps listening, so clients see the server hang up at once (as when
PostgreSQL restarts) rather than a refused port, and every attempt is counted.
Threads, stdlib only.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

CHUNK = 65536


class TcpProxy:
    """Forwards 127.0.0.1:port to upstream until `cut`; see the module docstring."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._lock = threading.Lock()
        self._down = False
        self._stopping = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.connections = 0  # every connection accepted
        self.attempts = 0  # connections accepted since the last cut (and dropped while cut)

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("TcpProxy is not running; call start()")
        return int(self._listener.getsockname()[1])

    @property
    def down(self) -> bool:
        return self._down

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        listener.settimeout(0.1)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, name="TcpProxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        if self._listener is not None:
            self._listener.close()
        self._close_all()

    def cut(self) -> None:
        """Close every connection and drop new ones until `restore`."""
        with self._lock:
            self._down = True
            self.attempts = 0
        self._close_all()

    def restore(self) -> None:
        with self._lock:
            self._down = False

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _close_all(self) -> None:
        with self._lock:
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                down = self._down
                if down:
                    self.attempts += 1
            if down:
                client.close()  # the server "hangs up" at once
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(CHUNK):
                target.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets.difference_update((source, target))
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
