"""UDP out: datagrams to one receiver, never blocking the frame clock, every kind of network
problem reported once (through a callback) while streaming goes on."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

from voxrig.core.errors import VoxrigError


def resolve(host: str, port: int) -> tuple[int, tuple]:
    """(address family, socket address) for host:port, or a one-line error."""
    if not host or host != host.strip():
        raise VoxrigError(f"invalid host {host!r}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise VoxrigError(f"cannot resolve host {host!r}: {reason}") from None
    family, _, _, _, address = infos[0]
    return family, address


class UdpSender:
    """A connected UDP socket: the kernel then tells us when nothing listens (ICMP port
    unreachable), which an unconnected socket would swallow."""

    def __init__(self, host: str, port: int, local_port: int | None = None,
                 report: Callable[[str], None] | None = None) -> None:
        self.host, self.port = host, port
        family, self.address = resolve(host, port)
        self.report = report or (lambda line: None)
        self.datagrams_sent = 0
        self.datagrams_failed = 0
        self._reported: set[int] = set()
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            if local_port is not None:
                self._bind(family, local_port)
            self.sock.connect(self.address)
        except VoxrigError:
            self.sock.close()
            raise
        except OSError as exc:
            self.sock.close()
            raise VoxrigError(f"cannot send to {host}:{port}: {exc.strerror}") from None
        self.sock.setblocking(False)

    def _bind(self, family: int, local_port: int) -> None:
        anywhere = "::" if family == socket.AF_INET6 else "0.0.0.0"
        try:
            self.sock.bind((anywhere, local_port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise VoxrigError(f"local port {local_port} is already in use by another "
                                  "program; choose another --local-port or leave it out"
                                  ) from None
            raise VoxrigError(f"cannot use local port {local_port}: {exc.strerror}") from None

    def send(self, datagrams: list[bytes]) -> bool:
        """Send one frame's datagrams; False if any was lost (the reason is reported once)."""
        ok = True
        for data in datagrams:
            try:
                self.sock.send(data)
                self.datagrams_sent += 1
            except OSError as exc:
                self.datagrams_failed += 1
                ok = False
                self._report_once(exc)
        return ok

    def _report_once(self, exc: OSError) -> None:
        code = exc.errno or -1
        if code in self._reported:
            return
        self._reported.add(code)
        where = f"{self.host}:{self.port}"
        if code == errno.ECONNREFUSED:
            self.report(f"nothing is listening at {where} (yet); still sending")
        elif code in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOBUFS):
            self.report(f"the network is not keeping up with the stream to {where}; "
                        "frames are being lost")
        else:
            self.report(f"cannot send to {where}: {exc.strerror or exc}; still trying")

    def close(self) -> None:
        self.sock.close()
