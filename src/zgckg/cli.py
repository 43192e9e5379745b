"""The ``zgckg`` command: thin commands over the graph layer.

Every command that reads or writes the store takes ``--store DIR``; without it the store is ``var/store`` in the project checkout, or
``$ZGCKG_STORE``. Errors the graph layer raises on purpose (a broken data file, a validation failure, a
malformed query, a missing store) are printed as one clear message on stderr, exit status 1, no traceback.
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .config import Config
from .errors import ValidationFailed, ZgckgError
from .kg.formats import GRAPHS, SOLUTIONS, by_short

if TYPE_CHECKING:
    from .kg.engine import Engine

DEFAULT_GRAPH_LABEL = "(default graph)"
"""How a table names the default graph (``stats.DEFAULT_GRAPH``, the key with no IRI)."""
QUERY_FORMATS = ("table", *dict.fromkeys([*by_short(SOLUTIONS), *by_short(GRAPHS)]))
EXPORT_FORMATS = tuple(by_short(GRAPHS))

STORE_HELP = (
    "Store directory (Oxigraph generations behind a `current` link). "
    "Default: var/store in the project checkout, or $ZGCKG_STORE."
)


def engine_options(command: Callable) -> Callable:
    """--engine and its companions: serve, query or publish to a remote store instead of the embedded one."""
    options = (
        click.option("--engine", default=None, metavar="URL",
                     help="A remote store's SPARQL query endpoint (e.g. Virtuoso's http://127.0.0.1:8890/sparql) "
                          "instead of the embedded store; credentials for writes from ZGCKG_ENGINE_USER and "
                          "ZGCKG_ENGINE_PASSWORD."),
        click.option("--engine-kind", type=click.Choice(["virtuoso", "generic"]), default=None,
                     help="What the remote store is (where its other endpoints are). Default: virtuoso."),
        click.option("--engine-update", default=None, metavar="URL", help="Its SPARQL Update endpoint, if not inferred."),
        click.option("--engine-store", default=None, metavar="URL", help="Its graph store endpoint, if not inferred."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def store_option(command: Callable) -> Callable:
    return click.option(
        "--store",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=STORE_HELP,
    )(command)


def reports_errors(command: Callable) -> Callable:
    """Turn the package's own errors into a message on stderr and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ValidationFailed as failed:
            for violation in failed.violations:
                click.echo(str(violation), err=True)
            click.echo(f"{len(failed.violations)} violation(s)", err=True)
            sys.exit(1)
        except ZgckgError as error:
            click.echo(str(error), err=True)
            sys.exit(1)

    return wrapper


def make_config(**overrides: Any) -> Config:
    """Defaults, then ZGCKG_* variables, then the flags given on the command line."""
    return Config.from_env(**overrides)


@contextmanager
def open_engine(config: Config) -> Iterator[Engine]:
    """The store of ``config`` (read and written in this process, or the remote store ``--engine`` names),
    closed when done."""
    if config.engine:
        from .kg.engine.remote import RemoteEngine

        engine: Engine = RemoteEngine(config)
    else:
        from .kg.engine.inprocess import InProcessEngine

        engine = InProcessEngine(config)
    try:
        yield engine
    finally:
        engine.close()


def progress_printer(enabled: bool) -> Callable[[str], None]:
    """Progress lines on stderr, each with the seconds since the command started."""
    started = time.perf_counter()

    def show(message: str) -> None:
        if enabled:
            click.echo(f"[{time.perf_counter() - started:7.2f} s] {message}", err=True)

    return show


PROGRESS_HELP = "Show a line per stage on stderr (default: only when stderr is a terminal)."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zgckg")
def main() -> None:
    """The Zhongguancun Haidian Park knowledge graph: build, query, export and serve it.

    Typical use: `zgckg build`, then `zgckg query 'SELECT …'` or `zgckg serve`.
    """
    # rdflib logs a traceback for every ill-typed literal it reads; the build reports those itself,
    # with file and node, so the log would only bury the one message that matters.
    logging.getLogger("rdflib").addHandler(logging.NullHandler())


@main.command()
@store_option
@click.option("--reasoner", type=click.Choice(["rules", "owlrl"]), default="rules", show_default=True,
              help="OWL 2 RL as SPARQL rules inside Oxigraph (fast; tested to infer exactly what owlrl infers "
                   "on the project's data), or owlrl itself.")
@click.option("--progress/--no-progress", default=None, help=PROGRESS_HELP)
@engine_options
@reports_errors
def build(store: Path | None, reasoner: str, progress: bool | None, **engine: Any) -> None:
    """Build the store from ontology/, data/turtle/ and the report.

    Parses every file (a syntax error stops the build with file:line: message), validates the data
    (SHACL shapes and evidence quotes against the report), adds what OWL 2 RL infers, and loads ontology,
    asserted and inferred triples into separate named graphs of a new store generation. The new generation
    replaces the current one only when it is complete: a failed or killed build leaves the previous store
    serving. Graphs added with `zgckg load` are carried over. Ends with triples per graph and seconds per stage.
    """
    from .kg.build import build as run_build
    from .kg.publish import build_remote

    config = make_config(store=store, **engine)
    show = progress_printer(sys.stderr.isatty() if progress is None else progress)
    run = build_remote if config.engine else run_build
    built = run(config, progress=show, reasoner=_reasoner(reasoner))
    click.echo(build_summary(built))


def _reasoner(name: str) -> Callable:
    if name == "rules":
        from .kg.rules import infer_with_rules

        return infer_with_rules
    from .kg.reasoning import infer

    return infer


def build_summary(built) -> str:
    from .kg.results import render_table

    graphs = graph_table(built.triples)
    stages = [[name, f"{seconds:.2f}"] for name, seconds in built.seconds.items()]
    stages.append(["total", f"{sum(built.seconds.values()):.2f}"])
    return f"built store generation {built.version}\n\n{graphs}\n{render_table(['stage', 'seconds'], stages, count=False)}"


def graph_table(triples: dict[str, int]) -> str:
    """Triples per graph as a table, the default graph named as such."""
    from .kg.results import render_table
    from .kg.stats import DEFAULT_GRAPH

    rows = [[DEFAULT_GRAPH_LABEL if g == DEFAULT_GRAPH else g, str(n)] for g, n in triples.items()]
    return render_table(["graph", "triples"], rows, count=False)


@main.command()
@reports_errors
def validate() -> None:
    """Parse and validate ontology/ and data/turtle/ without building.

    Prints each violation with its file and focus node and exits 1 if there is any. The store is not
    touched.
    """
    from .kg.build import validate_only

    violations = validate_only(make_config())
    if violations:
        raise ValidationFailed(violations)
    click.echo("no violations")


@main.command()
@click.argument("quote")
@reports_errors
def locate(quote: str) -> None:
    """Print where QUOTE occurs in the normalised report: sentence id, start and end offsets.

    Offsets count Unicode code points, start inclusive, end exclusive: the values evidence records carry
    as oa:start and oa:end. Exits 1 if the quote does not occur.
    """
    from .kg.results import render_table
    from .kg.report import Report

    config = make_config()
    found = Report.read(config.source_file).locate(quote)
    if not found:
        click.echo(f"not found in the normalised report text: {quote}", err=True)
        sys.exit(1)
    rows = [[sentence.id, str(start), str(end), sentence.iri] for start, end, sentence in found]
    click.echo(render_table(["sentence", "start", "end", "sentence IRI"], rows), nl=False)


@main.command()
@click.argument("query_or_file")
@click.option("--format", "fmt", type=click.Choice(QUERY_FORMATS), default="table", show_default=True,
              help="table lines up Chinese text for reading; the others are the standard W3C formats "
                   f"({'/'.join(by_short(SOLUTIONS))} for SELECT and ASK; "
                   f"{'/'.join(by_short(GRAPHS))} for CONSTRUCT and DESCRIBE).")
@click.option("--param", "params", multiple=True, metavar="NAME=IRI",
              help="Bind a parameter of an analyst query (its `# param:` header), e.g. entity=zg:baidu. Repeatable.")
@click.option("--union/--no-union", default=True, show_default=True,
              help="Without FROM or GRAPH, query the union of all graphs (asserted + inferred + ontology + loaded).")
@click.option("--service-allow", "service_allow", multiple=True, metavar="HOST",
              help="A host SERVICE may contact (repeatable), as for `zgckg serve`. Default: none.")
@store_option
@engine_options
@reports_errors
def query(query_or_file: str, fmt: str, params: tuple[str, ...], union: bool, service_allow: tuple[str, ...],
          store: Path | None, **engine: Any) -> None:
    """Run a SPARQL query against the store and print its results.

    QUERY_OR_FILE is a query, the path of a .rq file, or - for standard input. The project's prefixes
    (zg:, zgo:, rdfs:, skos:, org:, schema: …) are predeclared. An analyst query from queries/ runs with
    its parameters bound to their defaults unless --param says otherwise. SERVICE reaches only allowed
    public hosts, with the same timeouts as the endpoint.
    """
    from .kg.results import FormatMismatch, run_query

    text, bound = _query_and_bindings(query_or_file, params)
    config = make_config(store=store, service_allowlist=service_allow or None, union_default_graph=union, **engine)
    with open_engine(config) as opened:
        try:
            sys.stdout.buffer.write(run_query(opened, text, fmt, bindings=bound))
        except FormatMismatch as mismatch:
            raise click.UsageError(str(mismatch)) from None


def _query_and_bindings(query_or_file: str, params: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """The query text, and the bindings of an analyst query's parameters (defaults, then --param), as
    variable name → term in SPARQL syntax."""
    from .kg.queries import bindings, read_query

    given = dict(_name_and_value(p) for p in params)
    path = Path(query_or_file)
    if query_or_file == "-" or not _names_a_file(query_or_file, path):
        if given:
            raise click.UsageError("--param applies to an analyst query file with a `# param:` header")
        return (sys.stdin.read() if query_or_file == "-" else query_or_file), {}
    try:
        analyst = read_query(path)
    except OSError as exc:
        raise click.BadParameter(f"cannot read {query_or_file}: {exc.strerror}", param_hint="QUERY_OR_FILE") from None
    except ValueError:  # a plain .rq file without the analyst header: no parameters to bind
        if given:
            raise click.UsageError(f"{query_or_file} declares no parameters") from None
        return path.read_text(encoding="utf-8"), {}
    try:
        return analyst.text, bindings(analyst, given)
    except (KeyError, ValueError) as exc:
        raise click.UsageError(exc.args[0]) from None


def _names_a_file(query_or_file: str, path: Path) -> bool:
    if path.suffix in {".rq", ".sparql"}:
        return True
    return len(query_or_file) < 4096 and "\n" not in query_or_file and path.is_file()


def _name_and_value(param: str) -> tuple[str, str]:
    name, sep, value = param.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise click.BadParameter(f"expected NAME=IRI, got {param!r}", param_hint="--param")
    return name.strip().lstrip("?"), value.strip()


@main.command()
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True,
              help="RDF syntax. nq, trig and jsonld keep graph names; ttl, nt, xml and n3 hold triples only.")
@click.option("--graph", default="all", show_default=True,
              help="asserted, inferred, ontology, all (every graph; for triple syntaxes their union), "
                   "or the IRI of a graph.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
@store_option
@engine_options
@reports_errors
def export(fmt: str, graph: str, output: Path | None, store: Path | None, **engine_flags: Any) -> None:
    """Write the store, or one of its graphs, as an RDF file."""
    from .kg.exporting import GRAPH_CHOICES, export as run_export, held_graph

    if graph not in GRAPH_CHOICES and "://" not in graph:
        raise click.BadParameter(f"expected one of {', '.join(GRAPH_CHOICES)} or a graph IRI", param_hint="--graph")
    with open_engine(make_config(store=store, **engine_flags)) as engine:
        if output is None:
            run_export(engine, fmt, graph, sys.stdout.buffer)
            return
        engine.version()  # no store, or no such graph: say so before creating the output file
        held_graph(engine, graph)
        try:
            out = output.open("wb")
        except OSError as exc:
            raise click.BadParameter(f"cannot write {output}: {exc.strerror}", param_hint="-o") from None
        with out:
            run_export(engine, fmt, graph, out)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--graph", default=None,
              help="Load every file into this graph IRI (default: one graph per file, "
                   "https://w3id.org/zgckg/graph/user/<file name>).")
@click.option("--progress/--no-progress", default=None,
              help="Say every few seconds on stderr how many quads are read and how fast (default: only when "
                   "stderr is a terminal).")
@store_option
@engine_options
@reports_errors
def load(files: tuple[Path, ...], graph: str | None, progress: bool | None, store: Path | None, **engine: Any) -> None:
    """Add your own RDF files to the store, next to the built graphs.

    Any syntax Oxigraph reads (Turtle, N-Triples, N-Quads, TriG, N3, RDF/XML, JSON-LD) or rdflib reads.
    The store gets a new generation, published atomically; `zgckg build` keeps these graphs. Ends with
    the triples each graph the load wrote to holds (an N-Quads or TriG file's quads go to the graphs it
    names).
    """
    from .namespaces import is_absolute_iri

    if graph is not None and not is_absolute_iri(graph):
        raise click.BadParameter(f"not an absolute IRI: {graph!r}", param_hint="--graph")
    show = progress_printer(sys.stderr.isatty() if progress is None else progress)
    with open_engine(make_config(store=store, **engine)) as opened:
        counts = opened.load_files(files, graph=graph, progress=show)
    for graph_iri, triples in counts.items():
        click.echo(f"{graph_iri}\t{triples} triples")


@main.command()
@store_option
@engine_options
@reports_errors
def stats(store: Path | None, **engine_flags: Any) -> None:
    """Print triples per graph, instances per class and uses per property."""
    from .kg.results import render_table
    from .kg.stats import collect
    from .namespaces import shorten

    # classes and properties are counted over the union of all graphs, whatever $ZGCKG_UNION_DEFAULT_GRAPH says
    with open_engine(make_config(store=store, union_default_graph=True, **engine_flags)) as engine:
        found = collect(engine)
    click.echo(graph_table(found.graphs))
    click.echo(render_table(["class", "instances"], [[shorten(c), str(n)] for c, n in found.classes.items()]))
    click.echo(render_table(["property", "uses"], [[shorten(p), str(n)] for p, n in found.properties.items()]), nl=False)


@main.command()
@store_option
@click.option("--host", default=None, help="Interface to listen on. Default: 127.0.0.1.")
@click.option("--port", type=int, default=None, help="TCP port. Default: 7878.")
@click.option("--timeout", type=float, default=None, help="Seconds a query may run. Default: 30.")
@click.option("--max-rows", type=int, default=None, help="Most rows or triples a query returns. Default: 100000.")
@click.option("--write-token", default=None,
              help="Bearer token that enables /update and /store (or $ZGCKG_WRITE_TOKEN). Default: no writes.")
@click.option("--union-default-graph/--no-union-default-graph", default=None,
              help="Queries without FROM/GRAPH see the union of all graphs. Default: union.")
@click.option("--workers", type=int, default=None, help="Query worker processes. Default: 2.")
@click.option("--reader-memory", "reader_memory_bytes", type=click.IntRange(min=0), default=None, metavar="BYTES",
              help="Workers answer from a copy in memory of a store up to this size on disk; 0: from disk. "
                   "Default: 64000000.")
@click.option("--worker-memory", "worker_memory_bytes", type=click.IntRange(min=0), default=None, metavar="BYTES",
              help="Address space each query and update worker may use; a query that needs more fails alone (400) "
                   "and its worker is replaced. 0: no cap. Default: a quarter of physical memory, 1 to 8 GiB.")
@click.option("--max-answer-bytes", type=click.IntRange(min=0), default=None, metavar="BYTES",
              help="Largest answer to a query, before gzip; a larger one is refused whole (400). 0: no cap. "
                   "Default: 512000000.")
@click.option("--service-allow", "service_allow", multiple=True, metavar="HOST",
              help="A host SERVICE and LOAD may contact (repeatable). Default: none.")
@click.option("--service-connect-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              metavar="SECONDS", help="Seconds a SERVICE or LOAD host has to accept the connection. Default: 5.")
@click.option("--service-read-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              metavar="SECONDS", help="Seconds a SERVICE or LOAD host may stay silent while answering. Default: 10.")
@click.option("--unsafe-worker-network", "worker_network", is_flag=True, default=None,
              help="Let query and update workers open network sockets (or $ZGCKG_WORKER_NETWORK=1). Only for "
                   "platforms without seccomp, where the server otherwise refuses to start: it weakens the "
                   "protection against SERVICE or LOAD connecting anywhere (SSRF).")
@click.option("--body-timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Seconds a request's body has to arrive in full (408 after that). Default: 5.")
@click.option("--header-timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Seconds a connection has to send a request's headers before it is closed. Default: 5.")
@click.option("--max-client-requests", type=click.IntRange(min=1), default=None, metavar="N",
              help="Requests one client address may have in flight at once (429 above it). Default: 16.")
@click.option("--write-lock-wait", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Seconds an update or graph store write waits for a build or write in progress. Default: 60.")
@click.option("--max-query-length", type=click.IntRange(min=1), default=None, metavar="CHARACTERS",
              help="Longest query or update text (400 above it). Default: 200000.")
@click.option("--max-query-depth", type=click.IntRange(min=1, max=200), default=None, metavar="N",
              help="Brackets a query or update may nest (400 above it). Default: 64.")
@click.option("--max-triple-patterns", type=click.IntRange(min=1), default=None, metavar="N",
              help="Triple patterns a query or update may have, INSERT/DELETE DATA aside (400 above it). "
                   "Default: 2000.")
@click.option("--client-queries", type=click.IntRange(min=0), default=None, metavar="N",
              help="Queries one client may have running at once (429 above it; 0: no limit). Default: 2.")
@click.option("--client-query-seconds", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Seconds of query time one client may use a minute (429 above it; 0: no limit). Default: 60.")
@click.option("--client-header", default=None, metavar="HEADER",
              help="Behind a proxy: the header naming the client (its first value, e.g. X-Forwarded-For). "
                   "Default: the remote address.")
@click.option("--max-workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Query workers the pool may grow to when all are busy. Default: twice --workers.")
@click.option("--public-base", default=None, metavar="URL",
              help="The URL this service is reached at, behind a proxy or a redirect service (used in VoID, DCAT "
                   "and the sitemap). Default: the host each request came to.")
@click.option("--iri-base", default=None, metavar="IRI",
              help="The base of the IRIs served: <base>id/<slug> at /id/<slug>. Default: https://w3id.org/zgckg/.")
@engine_options
@click.option("--create", is_flag=True, help="With --store DIR: start an empty store there when DIR holds none.")
@click.option("--dev", is_flag=True, help="Flask's development server with reloading, instead of granian.")
@reports_errors
def serve(store: Path | None, dev: bool, create: bool, service_allow: tuple[str, ...], **flags: Any) -> None:
    """Serve the store as a SPARQL 1.1 endpoint and linked data.

    Without --store, serves the default store, building it first if it does not exist yet. With
    --store DIR, serves what DIR holds; a DIR without a store is refused (a mistyped path would otherwise
    serve nothing, quietly) unless --create says to start an empty one there.
    """
    from .kg.store import StoreDir
    from .web.server import serve as run_server

    config = make_config(
        store=store,
        union_default_graph=flags.pop("union_default_graph"),
        service_allowlist=service_allow or None,
        **flags,
    )
    store_dir = StoreDir(config.store)
    if config.engine:  # a remote store: nothing to find, create or build here
        run_server(config, dev=dev)
        return
    if store is not None:
        if not store_dir.exists():  # most often a mistyped path: say so rather than serve nothing quietly
            if not create:
                raise click.UsageError(f"no store at {config.store}: build one there (zgckg build --store "
                                       f"{config.store}) or give --create to serve an empty one")
            click.echo(f"no store at {config.store}: serving an empty one (fill it with zgckg build --store "
                       f"{config.store}, zgckg load or /update)", err=True)
        store_dir.ensure()
    elif not store_dir.exists():
        from .kg.build import build as run_build

        click.echo(f"no store at {config.store} yet: building it first", err=True)
        run_build(config, progress=progress_printer(True))
    run_server(config, dev=dev)


if __name__ == "__main__":
    main()
