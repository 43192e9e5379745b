"""Applying updates and Graph Store writes inside the writer: a new generation, published whole or not at all."""

from __future__ import annotations

import pyoxigraph as ox

from ...errors import DataError, ForbiddenOperation
from .. import guard
from ..store import StoreDir
from .failures import GraphNotFound, UpdateFailed
from .jobs import GraphWriteJob, UpdateJob, Written
from .reads import checked_text, federated, graph_node, outbound_of, syntax_error


def apply_update(store_dir: StoreDir, job: UpdateJob) -> Written:
    # checked before any work, so a refused target is never contacted and a refusal costs no checkpoint;
    # SERVICE is answered before the checkpoint too, so a remote that fails costs none either
    text = checked_text(job.text, guard.scan(job.text), job.allowlist, _parse_update, job.network.resolve)
    reaches = guard.scan(text).reaches
    if any(r.keyword == "SERVICE" for r in reaches):
        text = federated(text, _parse_update, outbound_of(job), UpdateFailed)
        reaches = guard.scan(text).reaches
    fetch = any(r.keyword == "LOAD" and r.iri != guard.REFUSED for r in reaches)

    def change(store: ox.Store) -> None:
        try:
            if fetch:
                _apply_operations(store, text, job)
            else:
                store.update(text, base_iri=job.base_iri)
        except SyntaxError as exc:
            raise syntax_error(exc) from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise UpdateFailed(str(exc)) from None

    store_dir.write(change, copy_current=True)
    return Written(store_dir.version())


def _parse_update(text: str) -> None:
    # pyoxigraph has no parse-only call for updates: run it against an empty store in memory, where
    # every SERVICE and LOAD target has been replaced by one that cannot connect
    ox.Store().update(text)


def _apply_operations(store: ox.Store, text: str, job: UpdateJob) -> None:
    """An update with LOAD: LOADs fetched here (checked, pinned, capped), the rest run by pyoxigraph."""
    for operation in guard.split_update(text):
        if operation.load is None:
            store.update(operation.text, base_iri=job.base_iri)
        elif operation.load.source != guard.REFUSED:  # a refused SILENT LOAD loads nothing
            _load(store, operation.load, job)


def _load(store: ox.Store, request: guard.LoadRequest, job: UpdateJob) -> None:
    limits = guard.Limits(job.service_connect_timeout, job.service_read_timeout)
    try:
        fetched = guard.fetch(request.source, job.allowlist, limits, job.network)
        fmt = _rdf_format(fetched.content_type, fetched.url)
        store.load(fetched.body, fmt, base_iri=fetched.url, to_graph=graph_node(request.graph))
    except guard.RemoteFailed as exc:
        if not request.silent:
            raise UpdateFailed(str(exc)) from None
    except (ForbiddenOperation, SyntaxError, ValueError) as exc:
        if not request.silent:
            raise UpdateFailed(f"LOAD <{request.source}>: {exc}") from None


def _rdf_format(content_type: str | None, url: str) -> ox.RdfFormat:
    media = (content_type or "").split(";")[0].strip()
    found = ox.RdfFormat.from_media_type(media) if media else None
    if found is None and "." in url.rsplit("/", 1)[-1]:
        found = ox.RdfFormat.from_extension(url.rsplit(".", 1)[-1])
    if found is None:
        raise ValueError(f"unknown RDF format (Content-Type {media or 'missing'})")
    return found


def write_graph(store_dir: StoreDir, job: GraphWriteJob) -> Written:
    node = graph_node(job.graph)

    def change(store: ox.Store) -> bool:
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
