"""A second host on this machine for end-to-end tests: a network namespace joined to this one by a
veth pair, and a TCP forwarder that stands in for a server listening on the network.

    with second_host("worker2") as host:  # root_address 10.231.N.1 here, address 10.231.N.2 there
        with TcpForwarder(host.root_address, 5432) as pg:
            dsn = f"postgresql://postgres@{host.root_address}:{pg.port}/postgres"
            process = run_in(host, ["psql", dsn, "-c", "SELECT 1"], env)

The namespace has `lo` up and one interface, `eth0` (10.231.N.2/30), and no default route: it reaches
only the root side's address, never this machine's loopback (its own `lo` is empty) nor anything off
the machine. Processes started with `run_in` also get a hostname of their own (a UTS namespace), so
whatever names itself after the host (a worker, an effect's owner host:pid:token) tells the two apart.

PostgreSQL on this machine kind listens on 127.0.0.1 only and cannot be reconfigured: `TcpForwarder`
listens on the root side's address and forwards each connection to 127.0.0.1:<port>, as a database
server listening on the internal network would be reached.

Everything is removed when the block ends, also when it fails: the namespace's processes are killed
(SIGKILL: the host is gone), the namespace and the veth pair deleted. Names carry the pid of the
test process and a free subnet index chosen under a lock, so parallel runs (pytest -n 2) do not
clash; leftovers of a test process that died are deleted before a new host is made.

Needs root and `ip netns` (iproute2); `require_netns()` skips the test with the reason otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any

import pytest

SUBNET = "10.231"  # 10.231.N.0/30 per host: N.1 this side, N.2 the host's side
PREFIX = "rjhost"  # namespace names: rjhost-<name>-<pid>-<N>
LOCK = Path("/run/rongju-netns.lock")
_NETNS_NAME = re.compile(rf"^{PREFIX}-(?P<name>[a-z0-9]+)-(?P<pid>\d+)-(?P<index>\d+)$")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done


@cache
def netns_unavailable() -> str | None:
    """Why this machine cannot make a second host (None: it can). Probes once per process."""
    if os.geteuid() != 0:
        return "a second host needs root (ip netns add, veth): run the e2e tests as root"
    for tool in ("ip", "unshare", "hostname"):
        if shutil.which(tool) is None:
            return f"a second host needs `{tool}` (iproute2 / util-linux / hostname) on PATH"
    probe = f"{PREFIX}-probe-{os.getpid()}-0"
    try:
        _ip("netns", "add", probe)
        _ip("-n", probe, "link", "set", "lo", "up")
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        return f"`ip netns` does not work here ({exc}); a second host needs network namespaces"
    finally:
        _ip("netns", "delete", probe, check=False)
    return None


def require_netns() -> None:
    """Skip the calling test when no second host can be made here (not root, no `ip netns`)."""
    reason = netns_unavailable()
    if reason is not None:
        pytest.skip(reason)


@dataclass(frozen=True)
class Host:
    """A second host: a network namespace with one veth link to this one."""

    name: str
    netns: str
    index: int
    root_veth: str  # this side's end of the link
    hostname: str  # what socket.gethostname() says inside (processes started by run_in)

    @property
    def root_address(self) -> str:
        """This (the first) host's address on the link: where the second host reaches us."""
        return f"{SUBNET}.{self.index}.1"

    @property
    def address(self) -> str:
        """The second host's own address."""
        return f"{SUBNET}.{self.index}.2"

    def pids(self) -> list[int]:
        """Every process running in the namespace (the host's processes)."""
        done = _ip("netns", "pids", self.netns, check=False)
        return [int(p) for p in done.stdout.split()]

    def kill_all(self, sig: signal.Signals = signal.SIGKILL, *, timeout: float = 10) -> list[int]:
        """Send `sig` to every process of the host (SIGKILL: the machine lost power); wait until they
        are gone. Returns the pids signalled."""
        signalled: list[int] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = self.pids()
            if not alive:
                break
            for pid in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                    signalled.append(pid)
                _reap(pid)
            if sig != signal.SIGKILL:
                break
            time.sleep(0.1)
        return sorted(set(signalled))

    def cut(self) -> None:
        """Pull the cable: the link goes down, every connection to and from the host stalls."""
        _ip("link", "set", self.root_veth, "down")

    def mend(self) -> None:
        _ip("link", "set", self.root_veth, "up")


def _reap(pid: int) -> None:
    # A process this test process started (run_in) must be waited for, or it stays a zombie that
    # `ip netns pids` keeps listing.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _existing_netns() -> list[str]:
    done = _ip("netns", "list", check=False)
    return [line.split()[0] for line in done.stdout.splitlines() if line.strip()]


def _delete_netns(netns: str) -> None:
    for pid in _ip("netns", "pids", netns, check=False).stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    # Deleting the namespace destroys its end of the veth pair and so the pair (once its last
    # process is gone; a process still dying keeps it a moment).
    _ip("netns", "delete", netns, check=False)


def _remove_leftovers() -> None:
    """Delete the hosts of test processes that have died (a killed pytest never cleaned up)."""
    for netns in _existing_netns():
        match = _NETNS_NAME.match(netns)
        if match and not _pid_alive(int(match["pid"])):
            _delete_netns(netns)


def _used_indexes() -> set[int]:
    used = {int(m["index"]) for n in _existing_netns() if (m := _NETNS_NAME.match(n))}
    addresses = _ip("-o", "-4", "addr", "show", check=False).stdout
    used |= {int(i) for i in re.findall(rf"inet {re.escape(SUBNET)}\.(\d+)\.", addresses)}
    links = _ip("-o", "link", "show", check=False).stdout
    used |= {int(i) for i in re.findall(rf"\d+: {PREFIX[:2]}v(\d+)[@:]", links)}
    return used


@contextlib.contextmanager
def _allocation_lock() -> Iterator[None]:
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]", "", name.lower())[:12]
    if not slug:
        raise ValueError(f"a host name needs letters or digits: {name!r}")
    return slug


@contextlib.contextmanager
def second_host(name: str = "host2") -> Iterator[Host]:
    """A network namespace with a veth link to this one (see the module's docstring); removed with
    everything running in it when the block ends."""
    require_netns()
    slug = _slug(name)
    with _allocation_lock():
        _remove_leftovers()
        used = _used_indexes()
        index = next((i for i in range(1, 255) if i not in used), None)
        if index is None:
            raise RuntimeError(f"no free {SUBNET}.N.0/30 subnet for a second host")
        netns = f"{PREFIX}-{slug}-{os.getpid()}-{index}"
        host = Host(
            name=name,
            netns=netns,
            index=index,
            root_veth=f"{PREFIX[:2]}v{index}",  # rjv<N>: at most 15 characters
            hostname=f"{slug}-{index}",
        )
        peer = f"{PREFIX[:2]}p{index}"
        try:
            # A namespace of the same name (same pid and index: a block that did not finish) goes first.
            if netns in _existing_netns():
                _delete_netns(netns)
            _ip("link", "delete", host.root_veth, check=False)
            _ip("netns", "add", netns)
            _ip("link", "add", host.root_veth, "type", "veth", "peer", "name", peer, "netns", netns)
            _ip("addr", "add", f"{host.root_address}/30", "dev", host.root_veth)
            _ip("link", "set", host.root_veth, "up")
            _ip("-n", netns, "link", "set", "lo", "up")
            _ip("-n", netns, "link", "set", peer, "name", "eth0")
            _ip("-n", netns, "addr", "add", f"{host.address}/30", "dev", "eth0")
            _ip("-n", netns, "link", "set", "eth0", "up")
            # No default route: the /30 is the host's whole world.
        except BaseException:
            _teardown(host)
            raise
    try:
        _wait_link_up(host)
        yield host
    finally:
        _teardown(host)


def _wait_link_up(host: Host, timeout: float = 10) -> None:
    """Until the root side's address answers from inside (IPv4 DAD does not apply, but the link's
    carrier takes a moment)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _ip("-n", host.netns, "-o", "link", "show", "eth0", check=False).stdout
        if "LOWER_UP" in state:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the link to {host.netns} did not come up")


def _teardown(host: Host) -> None:
    with contextlib.suppress(Exception):
        host.kill_all(signal.SIGKILL, timeout=5)
    _delete_netns(host.netns)
    # Normally gone with the namespace; a failed setup may have left this end alone.
    _ip("link", "delete", host.root_veth, check=False)


def run_in(
    host: Host,
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    stdin: int | IO[Any] | None = subprocess.DEVNULL,
    own_hostname: bool = True,
    **popen: Any,
) -> subprocess.Popen[bytes]:
    """Start `argv` on the second host with exactly `env` (`ip netns exec` keeps the environment).

    The process leads a session of its own (start_new_session): `os.killpg(process.pid, SIGKILL)`
    ends it with everything it started that stayed in its group; `host.kill_all()` ends every
    process of the host, also those that made sessions of their own. With `own_hostname` it runs
    in a UTS namespace whose hostname is `host.hostname`.
    """
    command: list[str] = ["ip", "netns", "exec", host.netns]
    if own_hostname:
        command += ["unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', host.hostname]
    command += [str(a) for a in argv]
    return subprocess.Popen(
        command,
        env=dict(env),
        cwd=cwd,
        stdout=stdout,
        stderr=stderr,
        stdin=stdin,
        start_new_session=True,
        **popen,
    )


def stop(process: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM, grace: float = 20) -> int:
    """Signal the process's group with `sig`, SIGKILL it after `grace` seconds; its exit code."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
    try:
        return process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        return process.wait(timeout=30)


class TcpForwarder:
    """Listens on `listen_host` (the root side's veth address) and forwards every connection to
    `target_host:target_port`, both ways, until the block ends: a database listening on the network.

    An asyncio loop in a thread of the test process; `port` is where it listens (0: a free one).
    `connections` counts the connections it has accepted.
    """

    def __init__(
        self, listen_host: str, target_port: int, *, target_host: str = "127.0.0.1", listen_port: int = 0
    ) -> None:
        self.listen_host = listen_host
        self.target_host = target_host
        self.target_port = target_port
        self.port = listen_port
        self.connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def address(self) -> str:
        return f"{self.listen_host}:{self.port}"

    def __enter__(self) -> TcpForwarder:
        self._thread = threading.Thread(target=self._run, name=f"forward-{self.listen_host}", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("the TCP forwarder did not start")
        if self._error is not None:
            raise RuntimeError(f"the TCP forwarder could not listen on {self.listen_host}") from self._error
        return self

    def __exit__(self, *_exc: object) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._handle, self.listen_host, self.port, reuse_address=True)
            )
            self.port = int(self._server.sockets[0].getsockname()[1])
        except BaseException as exc:  # reported to __enter__
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            try:
                target_reader, target_writer = await asyncio.open_connection(
                    self.target_host, self.target_port
                )
            except OSError:
                return
            sock = target_writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                await asyncio.gather(_pipe(client_reader, target_writer), _pipe(target_reader, client_writer))
            finally:
                target_writer.close()
        except asyncio.CancelledError:
            pass
        finally:
            client_writer.close()
            self._tasks.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF, then half-close; a reset on either side ends the copy quietly."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()
