"""The Flask app factory: configuration → store → worker pools → blueprints → error handlers.

``create_app(config=None, *, store=None)`` takes a :class:`~zgckg.config.Config` (or a mapping of its
fields, as tests pass; with neither, defaults and ``ZGCKG_*`` variables) and optionally the store
directory to serve. The app owns worker processes: call ``close_app(app)`` (``zgckg serve`` does on
SIGINT/SIGTERM), or they are stopped when the process exits.
"""

from __future__ import annotations

import atexit
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask

from .config import Config
from .kg.engine import Engine
from .kg.engine.local import LocalEngine
from .kg.store import StoreDir
from .web import (
    api_queries, dumps, errors, explore, figures, graphs, graphstore, health, home, metrics, ontology, resources, search,
    security, sitemap, source, sparql, update, void, workbench,
)
from .web.runtime import Runtime, note_arrival

BLUEPRINTS: tuple[Blueprint, ...] = (home.bp, sparql.bp, update.bp, graphstore.bp, health.bp, metrics.bp,
                                     resources.bp, search.bp, ontology.bp, source.bp,
                                     dumps.bp, void.bp, graphs.bp, sitemap.bp, api_queries.bp, workbench.bp,
                                     figures.bp, explore.bp)
"""Registered in this order: the home page, the SPARQL protocol, health and metrics, then linked data."""


def create_app(config: Config | Mapping[str, Any] | None = None, *, store: StoreDir | Path | None = None,
               engine: Engine | None = None) -> Flask:
    """The app over ``engine``; by default the remote store ``config.engine`` names, or else the local
    engine (worker processes) over ``store`` or the configured store directory."""
    config = _config(config)
    if engine is None and config.engine:
        from .kg.engine.remote import RemoteEngine

        engine = RemoteEngine(config)
    if engine is None:
        store_dir = store if isinstance(store, StoreDir) else StoreDir(Path(store) if store else config.store)
        engine = LocalEngine(config, store_dir)
    app = Flask("zgckg", template_folder="web/templates", static_folder="web/static")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.ensure_ascii = False
    runtime = Runtime.start(config, engine)
    app.extensions["zgckg"] = runtime
    atexit.register(runtime.close)
    app.before_request(note_arrival)
    app.after_request(security.add_page_headers)
    errors.register(app)
    metrics.register(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app


def close_app(app: Flask) -> None:
    """Stop the app's worker processes (safe to call twice)."""
    app.extensions["zgckg"].close()


def _config(config: Config | Mapping[str, Any] | None) -> Config:
    if config is None:
        return Config.from_env()
    if isinstance(config, Config):
        return config
    return Config().with_values(config)
