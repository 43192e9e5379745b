"""Downloads of the store and of each named graph, made once per store version.

Each dump is written by the engine (``read_dataset``), compressed here with gzip into a temporary file and
renamed into place, so nobody ever reads half a file. A metadata file (``metadata.json``, also written
by rename, last) lists the files with their size, triple count and SHA-256: a restarted server reuses
them instead of building them again. Only the current version's directory is kept.

The first caller of a version starts the build in a thread of its own; every caller (the first included)
waits for it at most as long as it may, and is told to come back (:class:`DumpsPending`) if it is not
done by then. A file lock keeps two processes that share the directory from building the same version
at once. The directory of a store is ``<dumps_dir>/<hash of the store's location>/<version>``, so two
stores (whose versions may have the same names) never share files.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...namespaces import BUILT_GRAPHS, GRAPH_BASE
from ..exporting import write_answer
from ..formats import GRAPHS, Format, by_short
from .select import select
from .site import site_facts

if TYPE_CHECKING:
    from ..engine import Engine

_BY_SHORT = by_short(GRAPHS)
DUMP_FORMATS: tuple[tuple[Format, str], ...] = (
    (_BY_SHORT["nq"], "nq"), (_BY_SHORT["trig"], "trig"), (_BY_SHORT["ttl"], "ttl"),
    (_BY_SHORT["nt"], "nt"), (_BY_SHORT["jsonld"], "jsonld"), (_BY_SHORT["xml"], "rdf"),
)
"""Each dump syntax with its file extension (``.rdf`` for RDF/XML, the usual one, rather than ``.xml``)."""

ALL = "all"
"""The name of the dump of the whole store."""
METADATA = "metadata.json"
RETRY_AFTER = 5
"""Seconds a client is asked to wait while the dumps are being built."""
_LOCK_FILE = ".lock"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")

_UNION_TRIPLES = """SELECT (COUNT(*) AS ?n) WHERE {
  SELECT DISTINCT ?s ?p ?o WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } }"""
_NAMED_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


class DumpsPending(Exception):
    """The dumps of the current version are not ready yet (being built, or the store changed meanwhile)."""

    def __init__(self, retry_after: int):
        super().__init__(f"the downloads are being prepared; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class DumpFile:
    name: str
    """The file name, which carries the store version: ``zgckg-<version>-<graph>.<ext>.gz``."""
    graph: str | None
    """The graph IRI; None for the whole store."""
    graph_name: str
    """``all``, ``ontology``, ``asserted``, ``inferred`` or a name made from another graph's IRI."""
    format: str
    """The syntax's name in the formats table (``nquads``, ``turtle``…)."""
    media_type: str
    """The media type of the content once decompressed."""
    bytes: int
    """Size of the .gz file."""
    triples: int
    """Triples (quads in a dataset syntax of the whole store) the file holds."""
    sha256: str
    """SHA-256 of the .gz file, in hex."""


@dataclass(frozen=True)
class Dumps:
    """The dumps of one store version, in ``directory``."""

    version: str
    directory: Path
    files: tuple[DumpFile, ...]

    def get(self, name: str) -> DumpFile | None:
        """The file called ``name``; None for any other name (so only listed files are ever served)."""
        return next((f for f in self.files if f.name == name), None)

    def path(self, file: DumpFile) -> Path:
        return self.directory / file.name

    def of_graph(self, graph: str | None) -> tuple[DumpFile, ...]:
        return tuple(f for f in self.files if f.graph == graph)


@dataclass(frozen=True)
class _Planned:
    name: str
    graph: str | None
    graph_name: str
    format: Format


class DumpBuilder:
    """Builds and remembers the dumps of one dumps directory; one per directory in a process."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()
        self._builds: dict[str, tuple[str, Future]] = {}
        """Store location → (version, its build): only a store's newest version is ever asked for again."""

    def dumps(self, engine: Engine, *, wait: float) -> Dumps:
        """The dumps of the version ``engine`` serves now, once built; DumpsPending if they take longer
        than ``wait`` seconds. A build that failed is forgotten, so the next caller tries again."""
        version = engine.version()
        location = engine.describe().location
        with self._lock:
            known = self._builds.get(location)
            if known is not None and known[0] == version:
                build = known[1]
            else:
                build = Future()
                self._builds[location] = (version, build)
                threading.Thread(target=self._run, args=(engine, version, location, build), daemon=True,
                                 name=f"dumps-{version}").start()
        try:
            return build.result(timeout=max(0.0, wait))
        except FutureTimeout:
            raise DumpsPending(RETRY_AFTER) from None

    def _run(self, engine: Engine, version: str, location: str, build: Future) -> None:
        try:
            build.set_result(_build(engine, version, self.root / _store_key(location)))
        except BaseException as exc:  # handed to every waiting caller; the next call starts afresh
            with self._lock:
                if self._builds.get(location, (None, None))[1] is build:
                    del self._builds[location]
            build.set_exception(exc)


_BUILDERS: dict[Path, DumpBuilder] = {}
_BUILDERS_LOCK = threading.Lock()


def builder(root: Path) -> DumpBuilder:
    """The one builder of the dumps directory ``root`` in this process."""
    with _BUILDERS_LOCK:
        return _BUILDERS.setdefault(Path(root), DumpBuilder(Path(root)))


def _store_key(location: str) -> str:
    return hashlib.sha256(location.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _build(engine: Engine, version: str, store_root: Path) -> Dumps:
    """The dumps of ``version`` under ``store_root``: reused from disk when its metadata matches this
    store's publication of the version, else written now; other versions' directories removed."""
    store_root.mkdir(parents=True, exist_ok=True)
    published = engine.modified(version)
    with _locked(store_root / _LOCK_FILE):
        directory = store_root / _safe_version(version)
        dumps = _read_metadata(directory, version, published)
        if dumps is None:
            shutil.rmtree(directory, ignore_errors=True)
            dumps = _write_all(engine, version, published, directory)
        for other in store_root.iterdir():
            if other.is_dir() and other != directory:
                shutil.rmtree(other, ignore_errors=True)
    return dumps


class _locked:
    """An exclusive lock on a file, across threads and processes (a build may take a while: no timeout)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> None:
        self.handle = open(self.path, "a+b")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _safe_version(version: str) -> str:
    """A version as a file name part: as it is when it is plain, else its hash (never a path)."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", version):
        return version
    return hashlib.sha256(version.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def plan(version: str, sizes: dict[str, int]) -> list[_Planned]:
    """Every file to write: the whole store, then each non-empty named graph (the built ones first), in
    each syntax of DUMP_FORMATS."""
    graphs = [iri for iri, size in sizes.items() if size]
    built = {iri: name for name, iri in BUILT_GRAPHS.items()}
    ordered = [iri for iri in BUILT_GRAPHS.values() if iri in graphs] + sorted(g for g in graphs if g not in built)
    names: dict[str | None, str] = {None: ALL}
    for iri in ordered:
        names[iri] = _graph_name(iri, built, set(names.values()))
    prefix = f"zgckg-{_safe_version(version)}"
    return [_Planned(f"{prefix}-{name}.{ext}.gz", iri, name, fmt)
            for iri, name in names.items() for fmt, ext in DUMP_FORMATS]


def _graph_name(iri: str, built: dict[str, str], taken: set[str]) -> str:
    """A file name part for a graph: a built graph's name, the rest of an IRI under ours, else a hash."""
    if iri in built:
        return built[iri]
    digest = hashlib.sha256(iri.encode("utf-8", "surrogatepass")).hexdigest()
    rest = _SAFE.sub("-", iri[len(GRAPH_BASE):]).strip("-._") if iri.startswith(GRAPH_BASE) else ""
    name = rest[:60] or f"graph-{digest[:10]}"
    return name if name not in taken else f"{name}-{digest[:8]}"


def is_dataset_syntax(fmt: Format) -> bool:
    """Whether the syntax keeps graph names, so a dump of the whole store holds quads, not the union."""
    return fmt.quads or fmt.serializer == "JSON_LD"


def triple_counts(engine: Engine) -> tuple[dict[str, int], int, int]:
    """(triples per named graph, distinct triples of the union, quads of the whole dataset), by COUNT
    queries; the default graph's triples are read through the engine, since a union default graph
    leaves no query a way to name the store's own default graph."""
    sizes = dict(engine.graph_sizes())
    union = int(select(engine, _UNION_TRIPLES)[0]["n"].value)
    named = int(select(engine, _NAMED_QUADS)[0]["n"].value)
    default = engine.read_graph(None, _BY_SHORT["nt"], timeout=engine.config.timeout)
    default.content()  # only its count matters; this also removes a spooled answer
    return sizes, union, named + (default.rows or 0)


def _write_all(engine: Engine, version: str, published: float, directory: Path) -> Dumps:
    directory.mkdir(parents=True)
    sizes, union, quads = triple_counts(engine)
    files = []
    for item in plan(version, sizes):
        if item.graph is not None:
            triples = sizes[item.graph]
        else:
            triples = quads if is_dataset_syntax(item.format) else union
        size, digest = _write_one(engine, version, item, directory)
        files.append(DumpFile(item.name, item.graph, item.graph_name, item.format.name, item.format.media_type,
                              size, triples, digest))
    dumps = Dumps(version, directory, tuple(files))
    facts = site_facts(engine)
    metadata = {
        "version": version, "published": published, "created": time.time(),
        "license": facts.licence, "source": facts.source, "title": facts.title,
        "files": [asdict(f) for f in files],
    }
    _atomic_write(directory / METADATA, json.dumps(metadata, ensure_ascii=False, indent=1).encode())
    return dumps


def _write_one(engine: Engine, version: str, item: _Planned, directory: Path) -> tuple[int, str]:
    """Write one dump (gzip, no timestamp in its header, so the same data gives the same bytes); its
    size and SHA-256. DumpsPending when the store has moved on to another version meanwhile."""
    answer = engine.read_dataset(item.format, graph=item.graph, timeout=engine.config.timeout)
    if answer.version != version:
        if answer.spool:
            os.unlink(answer.spool)
        raise DumpsPending(1)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as packed:
            write_answer(answer, packed)
        digest = _sha256(temporary)
        os.replace(temporary, directory / item.name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return (directory / item.name).stat().st_size, digest


def _sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    with os.fdopen(handle, "wb") as f:
        f.write(data)
    os.replace(temporary, path)


def _read_metadata(directory: Path, version: str, published: float) -> Dumps | None:
    """The dumps recorded in ``directory``, if it describes this publication of ``version`` and every
    file is there at its recorded size; None otherwise (then they are written again)."""
    try:
        metadata = json.loads((directory / METADATA).read_text(encoding="utf-8"))
        files = tuple(DumpFile(**f) for f in metadata["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if metadata.get("version") != version or metadata.get("published") != published:
        return None
    for f in files:
        try:
            if (directory / f.name).stat().st_size != f.bytes:
                return None
        except OSError:
            return None
    return Dumps(version, directory, files)
