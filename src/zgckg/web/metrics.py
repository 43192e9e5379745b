"""/metrics: what the service has done, for Prometheus (``prometheus_client``'s text format).

- ``zgckg_requests_total{route, status}`` and ``zgckg_request_seconds{route}`` (a histogram from the
  request's arrival, so time waiting for a thread or a worker counts);
- ``zgckg_errors_total{kind}``: error answers, by the domain error's class (QueryTimeout, WorkersBusy,
  QuerySyntaxError…) or the status's reason;
- ``zgckg_front_refusals_total{status}``: requests the front refused before the app saw them (408, 413, 429);
- ``zgckg_store_info{version}``: the data version served; ``zgckg_store_triples{graph}``: its size;
- ``zgckg_workers``, ``zgckg_workers_busy``, ``zgckg_queue_length``: the query workers, those running a
  job, and the requests waiting for one (where the engine has workers);
- ``zgckg_client_refusals_total``: queries refused for a client over its limits (429, see ``fairness``).

Timeouts are ``zgckg_errors_total{kind="QueryTimeout"}``.

Each app has its own registry, so several apps in one process (tests) count apart.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from .runtime import ARRIVED, runtime

bp = Blueprint("metrics", __name__)

SIZE_SECONDS = 0.5
"""How long a scrape waits for the store's size, counted once per version."""

_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self, engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("zgckg_requests", "HTTP requests answered by the app", ["route", "status"],
                                registry=self.registry)
        self.seconds = Histogram("zgckg_request_seconds", "Seconds from a request's arrival to its answer",
                                 ["route"], buckets=_BUCKETS, registry=self.registry)
        self.errors = Counter("zgckg_errors", "Domain errors answered, by kind", ["kind"], registry=self.registry)
        self.refusals = Counter("zgckg_front_refusals", "Requests refused before the app saw them", ["status"],
                                registry=self.registry)
        self.client_refusals = Counter("zgckg_client_refusals", "Queries refused for a client over its limits",
                                       ["limit"], registry=self.registry)
        self.registry.register(_EngineState(engine))


class _EngineState:
    """The version served, its size and the workers' load, read when scraped."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._sizes: tuple[str, list[tuple[str, int]]] | None = None

    def collect(self):
        info = GaugeMetricFamily("zgckg_store_info", "The data version served", labels=["version"])
        triples = GaugeMetricFamily("zgckg_store_triples", "Triples per named graph of the version served",
                                    labels=["graph"])
        try:
            version = self.engine.version()
            info.add_metric([version], 1)
            if self._sizes is None or self._sizes[0] != version:  # counted once per version
                # briefly: a scrape must answer while every worker is busy (it tries again next time)
                self._sizes = (version, self.engine.graph_sizes(timeout=SIZE_SECONDS))
            for graph, size in self._sizes[1]:
                triples.add_metric([graph], size)
        except Exception:  # no store yet, or no worker free: nothing to say, and a scrape must not fail for it
            pass
        yield info
        yield triples
        load = self.engine.workload()
        for key, name, text in (("workers", "zgckg_workers", "Query workers"),
                                ("busy", "zgckg_workers_busy", "Query workers running a job"),
                                ("waiting", "zgckg_queue_length", "Requests waiting for a query worker")):
            if key in load:
                gauge = GaugeMetricFamily(name, text)
                gauge.add_metric([], load[key])
                yield gauge


def record(response: Response) -> Response:
    """Count every answer of the app, by its route's rule (not the path, which would be unbounded)."""
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics = runtime().metrics
    metrics.requests.labels(route, str(response.status_code)).inc()
    if "error" in g:  # set by web.errors: the domain error's class, or the status's reason
        metrics.errors.labels(g.error).inc()
    arrived = request.environ.get(ARRIVED)
    if arrived is not None:
        metrics.seconds.labels(route).observe(time.monotonic() - arrived)
    return response


def register(app: Flask) -> None:
    app.after_request(record)


@bp.route("/metrics", methods=["GET"])
def metrics() -> Response:
    return Response(generate_latest(runtime().metrics.registry), content_type=CONTENT_TYPE_LATEST)
