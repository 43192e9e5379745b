"""/healthz: the engine's kind, the data version and whether writes are on; 503 when there is no store."""

import pytest

from zgckg.app import close_app, create_app
from zgckg.config import Config
from zgckg.kg.engine.inprocess import InProcessEngine


def test_health_names_the_engine_and_the_version_but_not_where_the_store_is(web_app, web_store):
    response = web_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "engine": "local", "version": web_store.version(), "writes": False}
    assert str(web_store.root) not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_health_says_whether_writes_are_on(write_app):
    body = write_app.test_client().get("/healthz").get_json()
    assert (body["status"], body["writes"]) == ("ok", True)


@pytest.mark.parametrize("make_engine", [None, InProcessEngine], ids=["local", "in-process"])
def test_without_a_store_health_is_a_503_with_a_plain_message(tmp_path, make_engine):
    missing = tmp_path / "no-store"
    config = Config(store=missing, workers=1)
    app = create_app(config, engine=make_engine(config) if make_engine else None)
    try:
        response = app.test_client().get("/healthz")
    finally:
        close_app(app)
    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert str(missing) not in response.get_data(as_text=True)


def test_ready_when_a_worker_answers_a_trivial_query_on_the_current_version(web_app, web_store):
    response = web_app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and (body["status"], body["version"]) == ("ready", web_store.version())
    assert response.headers["Cache-Control"] == "no-store"


def test_without_a_store_ready_is_a_503_to_retry(tmp_path):
    config = Config(store=tmp_path / "no-store", workers=1)
    app = create_app(config)
    try:
        response = app.test_client().get("/readyz")
    finally:
        close_app(app)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert str(tmp_path) not in response.get_data(as_text=True)
