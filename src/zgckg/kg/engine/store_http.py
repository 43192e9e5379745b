"""The connections the remote engine reads through: urllib3's pool, each answer acknowledged at once.

Virtuoso's HTTP server writes an answer in several pieces and leaves Nagle's algorithm on, so the kernel
holds a small last piece until the pieces before it are acknowledged; on a kept-alive connection Linux
delays that acknowledgement by up to 40 ms. One entity page query in four took 44 ms instead of 3 on a
1M-quad store, always the same ones (those whose answer ended in such a piece). Asking for quick
acknowledgements once a request is sent (TCP_QUICKACK, which Linux does not keep for long, hence each
time) removes the wait and keeps the connection; a new connection per request would too, at 0.06 ms a
request and a closed socket in TIME_WAIT each time.
"""

from __future__ import annotations

import socket

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

_QUICKACK = getattr(socket, "TCP_QUICKACK", None)
"""Linux only; elsewhere the connections are urllib3's own."""


class _Acking:
    def getresponse(self, *args, **kwargs):
        if _QUICKACK is not None and self.sock is not None:
            try:
                self.sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
            except OSError:  # not a TCP socket: nothing to acknowledge sooner
                pass
        return super().getresponse(*args, **kwargs)


class _AckingHTTP(_Acking, HTTPConnection):
    pass


class _AckingHTTPS(_Acking, HTTPSConnection):
    pass


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _AckingHTTP


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _AckingHTTPS


def store_pool(maxsize: int) -> urllib3.PoolManager:
    """Kept-alive connections to the store (``maxsize`` per host), no retries: a request is sent once."""
    manager = urllib3.PoolManager(maxsize=maxsize, retries=False)
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager
