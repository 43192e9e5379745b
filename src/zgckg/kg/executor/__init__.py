"""Queries and writes run in worker processes that can be killed, so a time limit really stops the work.

pyoxigraph's ``Store.query`` takes no timeout and cannot be interrupted from another thread, so the only
way to stop a runaway query — and free the CPU and memory it holds — is to end the process running it.
A :class:`WorkerPool` keeps N reader processes, each with a read-only view of the store (any number of
processes may read one generation). :meth:`WorkerPool.run` sends a job down a pipe and waits up to the
time limit; past it, the worker is SIGKILLed and reaped, and a fresh one is started in the background.

A worker serialises the result itself with pyoxigraph's serialisers and hands back the *complete*
answer — small ones through the pipe, large ones as a spool file it wrote — so the caller decides the
HTTP status before sending a byte, and streams a spool file afterwards. Writers are a pool of one process
that applies updates to a new store generation (a checkpoint of the current one) and publishes it
atomically; killing it mid-write leaves the previous generation serving.

Workers are started with the 'forkserver' method: the web process may run threads, and forking a
threaded process is unsafe. Each worker also watches a pipe from its parent and exits when the parent
is gone, so no worker outlives the server, even one killed with SIGKILL.

    jobs.py       the messages: jobs in, answers out
    pool.py       the web process's side: hand out jobs, wait, kill past the limit
    worker.py     a worker's loop
    reads.py      answering prepared queries (dataset, serialisation)
    writes.py     applying updates and graph store writes to a new generation
    output.py     where answers are written: memory or spool, row and byte counting
    sandbox.py    no network in a worker: a seccomp filter
"""

from ...errors import (  # the errors a job may end with, all defined with the package's other errors
    AnswerTooLarge, EngineFailed, GraphNotFound, NotAcceptable, QueryFailed, QueryOutOfMemory, RowLimitExceeded,
    UpdateFailed, WorkerCrashed, WorkerLost, WorkersBusy,
)
from .jobs import Answer, GraphReadJob, GraphWriteJob, QueryJob, UpdateJob, UpdateStep, Written
from .output import RowCounter, Sink
from .pool import WorkerPool
from .reads import answer_query, dataset_arguments

__all__ = [
    "Answer", "AnswerTooLarge", "EngineFailed", "GraphNotFound", "GraphReadJob", "GraphWriteJob", "NotAcceptable", "QueryFailed", "QueryJob",
    "QueryOutOfMemory", "RowCounter", "RowLimitExceeded", "Sink", "UpdateFailed", "UpdateJob", "UpdateStep", "WorkerCrashed", "WorkerLost",
    "WorkerPool", "WorkersBusy", "Written", "answer_query", "dataset_arguments",
]
