"""Applying prepared updates and Graph Store writes inside the writer: a new generation, published whole or
not at all. SERVICE and LOAD were answered before the job came (see ``prepared``): the writer connects
nowhere.

What the engine raises while it applies an update is sorted by whose fault it is (pyoxigraph 0.5.13):

- ``SyntaxError``: QuerySyntaxError (400), with the text the position refers to.
- ``RuntimeError`` saying a graph does not exist or already exists (DROP, CLEAR, MOVE, COPY of a missing
  graph, CREATE of one that is there): UpdateFailed (409) with that message, which names only the
  request's own graph.
- ``ValueError``: an argument the engine refused: UpdateFailed (409), without the engine's words.
- ``OSError`` (the storage could not be read or written): EngineFailed, store unavailable (503).
- any other ``RuntimeError`` (storage corruption, an engine fault) and ``TypeError``: EngineFailed (500).
"""

from __future__ import annotations

import hashlib
import re

import pyoxigraph as ox

from ...errors import BuiltGraphChanged, DataError, GraphNotFound, UpdateFailed, ZgckgError
from ...namespaces import BUILT_GRAPHS
from ..store import StoreDir
from .jobs import GraphWriteJob, UpdateJob, UpdateStep, Written
from .reads import engine_failed, graph_node, syntax_error

_GRAPH_STATE = re.compile(r"The graph <[^<>\s]*> (does not exist|already exists)")


def apply_update(store_dir: StoreDir, job: UpdateJob) -> Written:
    def change(store: ox.Store) -> None:
        before = _built_graph_digests(store)
        try:
            if job.steps:
                for step in job.steps:
                    _apply(store, step, job.base_iri)
            else:
                _update(store, job.text, job.base_iri)
        except (OSError, RuntimeError, TypeError) as exc:  # loading fetched data: the storage failed
            raise engine_failed("update", exc) from None
        after = _built_graph_digests(store)
        changed = [graph for graph, digest in after.items() if digest != before[graph]]
        if changed:  # the next build would silently undo it: refused, and the generation thrown away
            raise BuiltGraphChanged(changed)

    store_dir.write(change, copy_current=True)
    return Written(store_dir.version())


def _built_graph_digests(store: ox.Store) -> dict[str, str]:
    """A digest of each graph ``zgckg build`` makes. Compared before and after an update, it tells exactly
    whether the update touched one, whatever its form (GRAPH ?g, WITH, MOVE, DROP ALL…)."""
    digests = {}
    for graph in BUILT_GRAPHS.values():
        digest = hashlib.sha256()
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            digest.update(str(quad).encode())
        digests[graph] = digest.hexdigest()
    return digests


def _update(store: ox.Store, text: str, base_iri: str | None) -> None:
    try:
        store.update(text, base_iri=base_iri)
    except ZgckgError:
        raise
    except SyntaxError as exc:
        raise syntax_error(exc, text, "update", base_iri) from None
    except RuntimeError as exc:
        if _GRAPH_STATE.fullmatch(str(exc)):  # the request's own graph: the client's to fix
            raise UpdateFailed(str(exc)) from None
        raise engine_failed("update", exc) from None
    except ValueError:
        raise UpdateFailed("the engine refused an argument of the update") from None
    except (OSError, TypeError) as exc:
        raise engine_failed("update", exc) from None


def _apply(store: ox.Store, step: UpdateStep, base_iri: str | None) -> None:
    """One operation of an update that loads: run by the engine, or data loaded (a SILENT failure: nothing)."""
    if step.text is not None:
        _update(store, step.text, base_iri)
        return
    if step.load is None:
        return
    try:
        fmt = _rdf_format(step.load.content_type, step.load.url)
        store.load(step.load.body, fmt, base_iri=step.load.url, to_graph=graph_node(step.graph))
    except ValueError as exc:
        problem = str(exc)
    except SyntaxError:  # the parser's message may quote the remote's data: not repeated
        problem = f"the data is not valid {fmt.name}"
    else:
        return
    if not step.silent:
        raise UpdateFailed(f"LOAD <{step.load.url}>: {problem}")


def _rdf_format(content_type: str | None, url: str) -> ox.RdfFormat:
    media = (content_type or "").split(";")[0].strip()
    found = ox.RdfFormat.from_media_type(media) if media else None
    if found is None and "." in url.rsplit("/", 1)[-1]:
        found = ox.RdfFormat.from_extension(url.rsplit(".", 1)[-1])
    if found is None:
        raise ValueError(f"unknown RDF format (Content-Type {media or 'missing'})")
    return found


def write_graph(store_dir: StoreDir, job: GraphWriteJob) -> Written:
    if job.graph in BUILT_GRAPHS.values():
        raise BuiltGraphChanged([job.graph])
    node = graph_node(job.graph)

    def change(store: ox.Store) -> bool:
        try:
            return _change_graph(store)
        except (OSError, RuntimeError, TypeError) as exc:  # the storage: the request was checked already
            raise engine_failed("graph write", exc) from None

    def _change_graph(store: ox.Store) -> bool:
        existed = job.graph is None or store.contains_named_graph(node)
        if job.method == "DELETE":
            if not existed:
                raise GraphNotFound(job.graph)
            store.remove_graph(node) if job.graph is not None else store.clear_graph(node)
            return False
        if job.method == "PUT" and existed:
            store.clear_graph(node)
        if job.graph is not None:
            store.add_graph(node)
        try:
            store.load(job.data, getattr(ox.RdfFormat, job.format), base_iri=job.base_iri, to_graph=node)
        except SyntaxError as exc:
            raise DataError("request body", exc.lineno, str(exc.msg or exc)) from None
        return not existed

    created = store_dir.write(change, copy_current=True)
    return Written(store_dir.version(), created=created)
