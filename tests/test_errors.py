"""Domain errors: all in zgckg.errors, every one reportable by a worker without a registry, HttpError apart."""

import dataclasses
import importlib
import multiprocessing
import pickle
import pkgutil

import pytest

import zgckg
from zgckg import errors
from zgckg.cli import reports_errors
from zgckg.errors import EngineFailed, QuerySyntaxError, ZgckgError, error_fields, error_name, rebuild_error
from zgckg.kg.executor import WorkerCrashed, pool, worker
from zgckg.kg.executor.jobs import Job
from zgckg.web.errors import HttpError


@dataclasses.dataclass
class FreshError(ZgckgError):
    """Defined here and nowhere else: no registry knows of it."""

    what: str
    count: int = 0


class PlainFreshError(ZgckgError):
    """Not a dataclass: it crosses with its arguments."""


def test_every_domain_error_of_the_package_is_defined_in_zgckg_errors():
    for module in pkgutil.walk_packages(zgckg.__path__, "zgckg."):
        if not module.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(module.name)
    defined = [cls for cls in errors.reportable().values() if cls.__module__.startswith("zgckg")]
    assert len(defined) > 15
    assert {cls.__module__ for cls in defined} == {"zgckg.errors"}


def test_http_error_is_not_a_domain_error_so_the_command_line_never_swallows_it():
    assert not issubclass(HttpError, ZgckgError)

    @reports_errors
    def command():
        raise HttpError(400, "a web error")

    with pytest.raises(HttpError):
        command()


def test_the_command_line_reports_a_domain_error_as_one_line(capsys):
    @reports_errors
    def command():
        raise PlainFreshError("broken")

    with pytest.raises(SystemExit) as exited:
        command()
    assert exited.value.code == 1
    assert capsys.readouterr().err == "broken\n"


@dataclasses.dataclass(frozen=True)
class FailingJob(Job):
    error: Exception

    def run(self, site):
        raise self.error


def _reply_in_a_child(conn, error: ZgckgError) -> None:
    """A worker's reply, made in another process, for a job whose handling raised ``error``."""
    conn.send(worker._reply(FailingJob(error), None))
    conn.close()


@pytest.mark.parametrize("error", [FreshError("a new failure", 3), PlainFreshError("plain", 7)],
                         ids=["dataclass", "plain"])
def test_a_newly_defined_domain_error_crosses_the_process_boundary_without_a_registry(error):
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    process = context.Process(target=_reply_in_a_child, args=(child, error))
    process.start()
    reply = parent.recv()
    process.join(10)
    assert reply[0] == "error" and reply[1] == error_name(type(error))
    with pytest.raises(type(error)) as raised:
        pool._unpack(reply)
    assert raised.value.args == error.args if not dataclasses.is_dataclass(error) else raised.value == error


def test_the_query_text_travels_on_a_syntax_error():
    error = QuerySyntaxError("error at 2:3: nope", 2, 3, text="SELECT\nWH")
    reply = ("error", error_name(QuerySyntaxError), error_fields(error))
    with pytest.raises(QuerySyntaxError) as raised:
        pool._unpack(pickle.loads(pickle.dumps(reply)))
    assert raised.value.text == "SELECT\nWH" and (raised.value.line, raised.value.column) == (2, 3)


def test_a_parser_syntax_error_carries_the_text_its_position_refers_to():
    from zgckg.kg.sparql import parse_query

    text = "SELECT ?s\nWHRE { ?s ?p ?o }"
    with pytest.raises(QuerySyntaxError) as raised:
        parse_query(text)
    assert raised.value.text == text and raised.value.line == 2


def test_an_os_error_outside_the_engine_is_reported_as_a_store_that_cannot_be_read():
    job = FailingJob(FileNotFoundError("/secret/path/CURRENT: No such file or directory"))
    with pytest.raises(EngineFailed) as raised:
        pool._unpack(worker._reply(job, None))
    assert raised.value.unavailable and "/secret/path/CURRENT" in raised.value.detail
    assert raised.value.operation == "request"


def test_any_other_exception_in_a_worker_is_a_crash():
    reply = worker._reply(FailingJob(KeyError("a bug")), None)
    assert reply[0] == "crash" and "KeyError" in reply[1]
    with pytest.raises(WorkerCrashed):
        pool._unpack(reply)


def test_an_error_class_unknown_to_the_receiver_is_a_crash_not_a_guess():
    assert rebuild_error("zgckg.elsewhere:Gone", {}) is None
    with pytest.raises(WorkerCrashed, match="Gone"):
        pool._unpack(("error", "zgckg.elsewhere:Gone", {"x": 1}))


def test_engine_failed_as_text_is_one_line_for_the_command_line():
    failed = EngineFailed("query", "Traceback (most recent call last):\n  ...\nOSError: IO error: disk", unavailable=True)
    assert str(failed) == "query: the store could not be read: OSError: IO error: disk"
