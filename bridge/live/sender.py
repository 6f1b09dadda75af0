"""UDP out: datagrams to one receiver, never blocking the frame clock, every kind of network
problem reported once (through a callback) while streaming goes on."""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Callable

from voxrig.core.errors import VoxrigError

ALLOW_FLAG = "--allow-broadcast"  # the stream option that lifts the refusals below


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


def shown(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """An address as a message shows it (IPv6 in brackets, so `[::]` reads as one thing)."""
    return f"[{ip}]" if ip.version == 6 else str(ip)


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, what: str, who: str
             ) -> VoxrigError:  # fmt: skip
    return VoxrigError(f"refusing to send to {shown(ip)}: it is {what} ({who}); give the "
                       f"receiver's own address with --host, or pass {ALLOW_FLAG} to send "
                       "there anyway")


def _check_many(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    """Addresses that reach no one receiver in particular are refused (the kernel tells the
    broadcast ones when the socket connects: see UdpSender)."""
    if ip.is_unspecified:
        raise _refusal(ip, "the unspecified address", "it names no receiver")
    if ip.is_multicast:
        raise _refusal(ip, "a multicast address",
                       "every machine in the group would get the frames")


class UdpSender:
    """A connected UDP socket: the kernel then tells us when nothing listens (ICMP port
    unreachable), which an unconnected socket would swallow. It also says, when connecting
    without SO_BROADCAST, whether the address is a broadcast one (255.255.255.255 or any
    subnet's, which only the routing table knows): those, the unspecified address and
    multicast groups are refused unless `allow_broadcast`."""

    def __init__(self, host: str, port: int, local_port: int | None = None,
                 report: Callable[[str], None] | None = None,
                 allow_broadcast: bool = False) -> None:
        self.host, self.port = host, port
        family, self.address = resolve(host, port)
        self.ip = ipaddress.ip_address(self.address[0].split("%")[0])
        if not allow_broadcast:
            _check_many(self.ip)
        self.report = report or (lambda line: None)
        self.datagrams_sent = 0
        self.datagrams_failed = 0
        self._reported: set[int] = set()
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            if allow_broadcast and family == socket.AF_INET:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            if local_port is not None:
                self._bind(family, local_port)
            self.sock.connect(self.address)
        except VoxrigError:
            self.sock.close()
            raise
        except OSError as exc:
            self.sock.close()
            if exc.errno == errno.EACCES and not allow_broadcast:
                raise _refusal(self.ip, "a broadcast address",
                               "every machine on the network would get the frames") from None
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

    @property
    def leaves_this_machine(self) -> bool:
        """False for loopback (127.0.0.0/8, ::1): only this machine can read the frames."""
        return not self.ip.is_loopback

    def close(self) -> None:
        self.sock.close()
