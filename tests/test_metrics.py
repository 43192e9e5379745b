"""/metrics: Prometheus text that prometheus_client's own parser reads, and counters that move."""

from prometheus_client.parser import text_string_to_metric_families


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def test_metrics_parse_and_move_as_requests_are_answered(web_app, web_store):
    client = web_app.test_client()
    ok = ("zgckg_requests_total", (("route", "/sparql"), ("status", "200")))
    bad = ("zgckg_requests_total", (("route", "/sparql"), ("status", "400")))
    syntax = ("zgckg_errors_total", (("kind", "QuerySyntaxError"),))
    before = scrape(client)
    assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}).status_code == 200
    assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o "}).status_code == 400
    after = scrape(client)
    assert after[ok] == before.get(ok, 0) + 1
    assert after[bad] == before.get(bad, 0) + 1
    assert after[syntax] == before.get(syntax, 0) + 1
    assert after[("zgckg_store_info", (("version", web_store.version()),))] == 1
    assert after[("zgckg_request_seconds_count", (("route", "/sparql"),))] >= 2
