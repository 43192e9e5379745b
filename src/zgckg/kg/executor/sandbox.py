"""No network in a worker: a seccomp filter that refuses every socket but a local one.

pyoxigraph evaluates ``SERVICE <iri>`` and ``LOAD <iri>`` with an HTTP client of its own. The server reads
every request with a SPARQL parser and makes allowed requests itself (see ``zgckg.kg.prepared``), but one
case the parser missed would let a query connect wherever it names (server-side request forgery). A worker never
needs the network, so we have the kernel refuse it: then even a SERVICE or LOAD nobody saw cannot connect.

The filter allows every system call except these, which fail with EACCES (Python's PermissionError):

- ``socket`` and ``socketpair`` for any domain but AF_UNIX (AF_INET, AF_INET6, AF_NETLINK, AF_PACKET…);
  multiprocessing may still use Unix sockets. Name lookups fail too: they need a UDP or TCP socket.
- ``io_uring_setup`` (and the two calls that act on a ring): io_uring opens sockets without ``socket``.
- ``socketcall``, where the architecture has it (i386 and a few others), when it creates a socket: its
  arguments sit behind a pointer seccomp cannot read, so local sockets are refused that way too.

A seccomp filter cannot be removed, and it is inherited by every thread and child of the process.
System calls of another ABI (32-bit calls from a 64-bit process) meet libseccomp's default for a foreign
architecture, which refuses them.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import multiprocessing
import socket
from types import ModuleType

from ...errors import SandboxUnavailable

_REFUSE = errno.EACCES
_SOCKETCALL_CREATES = (1, 8)  # SYS_SOCKET and SYS_SOCKETPAIR, socketcall's first argument (linux/net.h)
_IO_URING = ("io_uring_setup", "io_uring_enter", "io_uring_register")


def drop_network() -> None:
    """Refuse network sockets and io_uring to this process, its threads and its children, for good.

    Raises :class:`~zgckg.errors.SandboxUnavailable` when libseccomp cannot be loaded or the kernel does
    not take the filter: a worker that cannot drop the network must not run at all.
    """
    _install(_bindings())


def sandbox_problem() -> str | None:
    """Why a worker could not drop the network here, or None: tried for real in a short-lived child process
    (a filter cannot be removed, so not in this one)."""
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    child = context.Process(target=_try_to_drop_network, args=(writer,), daemon=True)
    child.start()
    writer.close()
    try:
        return reader.recv() if reader.poll(10) else "the check of the seccomp filter did not finish in 10 s"
    except EOFError:
        return "the check of the seccomp filter ended without an answer"
    finally:
        child.join(5)


def _try_to_drop_network(conn) -> None:
    try:
        drop_network()
        conn.send(None)
    except SandboxUnavailable as exc:
        conn.send(str(exc))


def _bindings(module: str = "pyseccomp") -> ModuleType:
    """The libseccomp bindings; ``module`` names the Python module that loads the library."""
    try:
        return importlib.import_module(module)
    except (ImportError, OSError, RuntimeError) as exc:  # pyseccomp raises RuntimeError without libseccomp.so
        raise SandboxUnavailable(f"libseccomp cannot be loaded through {module} ({exc})") from None


def _install(seccomp: ModuleType) -> None:
    try:
        network_filter = _network_filter(seccomp)
    except (OSError, ValueError, AttributeError) as exc:
        raise SandboxUnavailable(f"libseccomp cannot build the filter here ({exc})") from None
    try:
        network_filter.load()
    except OSError as exc:
        # libseccomp reports most refusals by the kernel as ECANCELED, which would only mislead here
        detail = "" if exc.errno == errno.ECANCELED else f" ({exc.strerror})"
        raise SandboxUnavailable(f"the kernel did not install the seccomp filter{detail}") from None


def _network_filter(seccomp: ModuleType):
    network_filter = seccomp.SyscallFilter(seccomp.ALLOW)
    # every thread of the process, not only the calling one, in case a worker has started some already
    network_filter.set_attr(seccomp.Attr.CTL_TSYNC, 1)
    refuse = seccomp.ERRNO(_REFUSE)
    for call in ("socket", "socketpair"):
        network_filter.add_rule(refuse, call, seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
    for call in _IO_URING:
        network_filter.add_rule(refuse, _number(seccomp, call))
    socketcall = seccomp.resolve_syscall(seccomp.Arch.NATIVE, "socketcall")
    if socketcall >= 0:  # negative: no such call on this architecture
        for creates in _SOCKETCALL_CREATES:
            network_filter.add_rule(refuse, socketcall, seccomp.Arg(0, seccomp.EQ, creates))
    return network_filter


def _number(seccomp: ModuleType, call: str) -> int:
    number = seccomp.resolve_syscall(seccomp.Arch.NATIVE, call)
    if number < 0:  # a libseccomp older than the call: refuse to run rather than leave it open
        raise SandboxUnavailable(f"this libseccomp does not know {call}; version 2.5 or later is needed")
    return number


# The forkserver imports this module once before it forks workers: load libseccomp there, so each worker
# does not search for the library again (ctypes runs ldconfig for that, some 20 ms). A failure is left for
# drop_network to report in the worker.
with contextlib.suppress(SandboxUnavailable):
    _bindings()
