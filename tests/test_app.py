"""The app factory: one configuration object, the store it is given, blueprints, and worker shutdown."""

import os

from zgckg.app import BLUEPRINTS, close_app, create_app
from zgckg.config import Config


def test_app_takes_a_mapping_and_serves_the_given_store(web_store):
    app = create_app({"workers": 1, "timeout": 3, "max_rows": 7}, store=web_store)
    try:
        runtime = app.extensions["zgckg"]
        assert (runtime.config.workers, runtime.config.timeout, runtime.config.max_rows) == (1, 3.0, 7)
        assert runtime.engine.store_dir is web_store and len(runtime.engine.readers.pids()) == 1
        assert runtime.engine.writer is None  # no write token, no writer process
        response = app.test_client().get("/sparql", query_string={"query": "SELECT * { GRAPH ?g { ?s ?p ?o } }"})
        assert response.status_code == 400 and "more than 7 rows" in response.get_data(as_text=True)
    finally:
        close_app(app)


def test_store_path_comes_from_the_config_when_not_given(web_store):
    app = create_app(Config(store=web_store.root, workers=1))
    try:
        assert app.extensions["zgckg"].engine.store_dir.root == web_store.root
        assert app.test_client().get("/sparql", query_string={"query": "ASK {}"}).status_code == 200
    finally:
        close_app(app)


def test_body_limit_comes_from_the_config(web_store):
    app = create_app(Config(store=web_store.root, workers=1, max_body_bytes=100))
    try:
        response = app.test_client().post("/sparql", data={"query": "ASK {} #" + "x" * 200})
        assert response.status_code == 413
    finally:
        close_app(app)


def test_every_blueprint_is_registered(web_app):
    assert {bp.name for bp in BLUEPRINTS} <= set(web_app.blueprints)
    rules = {rule.rule for rule in web_app.url_map.iter_rules()}
    assert {"/", "/sparql", "/update", "/store"} <= rules


def test_close_app_stops_the_worker_processes_and_is_idempotent(web_store):
    app = create_app(Config(store=web_store.root, workers=2, write_token="t"))
    runtime = app.extensions["zgckg"]
    pids = runtime.engine.readers.pids() + runtime.engine.writer.pids()
    assert len(pids) == 3
    close_app(app)
    close_app(app)
    assert not [pid for pid in pids if os.path.exists(f"/proc/{pid}")]


def test_missing_store_is_503_not_500(tmp_path):
    app = create_app(Config(store=tmp_path / "nothing-here", workers=1))
    try:
        response = app.test_client().get("/sparql", query_string={"query": "ASK {}"})
        assert response.status_code == 503 and "no store here yet" in response.get_data(as_text=True)
    finally:
        close_app(app)
