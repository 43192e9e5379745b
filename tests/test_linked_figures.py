"""/figures and /figures/<measure>: the park's dashboard and one page per measure, over the project's own
graph. What the charts draw is checked against the graph itself, asked through /sparql (the analyst
queries in queries/ where one asks the same question), so a chart can never say more or less than the data."""

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/zgckg/id/"
MEASURE = ID + "measure/"


def sparql(client, query: str) -> list[dict]:
    answer = client.post("/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [{k: v["value"] for k, v in row.items()} for row in answer.get_json()["results"]["bindings"]]


def analyst_query(name: str, **values: str) -> str:
    """A query of queries/, its parameters bound with VALUES (as `zgckg query --param` binds them)."""
    text = (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")
    for variable, iri in values.items():
        text = text.replace("WHERE {", f"WHERE {{\n  VALUES ?{variable} {{ <{iri}> }}", 1)
    return text


class Page(HTMLParser):
    """What the tests read from a figures page: the JSON data block, links, and the tags that must not be."""

    def __init__(self, html: str):
        super().__init__()
        self.data_block = None
        self.links: list[str] = []
        self.scripts: list[dict] = []
        self.styled: list[str] = []
        self.canvases: list[str] = []
        self.hedge_marks: list[str] = []
        self._in_data = False
        self._in_hedge = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.styled.append(tag)
        if tag == "script":
            self.scripts.append(attrs)
            self._in_data = attrs.get("id") == "figures-data"
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "canvas":
            self.canvases.append(attrs.get("id"))
        elif tag == "span" and "hedge" in (attrs.get("class") or "").split():
            self._in_hedge = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_data = False
        if tag == "span":
            self._in_hedge = False

    def handle_data(self, data):
        if self._in_data:
            self.data_block = (self.data_block or "") + data
        if self._in_hedge:
            self.hedge_marks.append(data)

    @property
    def charts(self) -> dict[str, dict]:
        return {c["id"]: c for c in json.loads(self.data_block)["charts"]}


def page(client, url: str) -> Page:
    answer = client.get(url)
    assert answer.status_code == 200, url
    assert answer.mimetype == "text/html"
    return Page(answer.get_data(as_text=True))


@pytest.fixture(scope="module")
def dashboard(project_app):
    return page(project_app.test_client(), "/figures?lang=zh")


@pytest.fixture(scope="module")
def measure_counts(project_app):
    rows = sparql(project_app.test_client(), """
        SELECT ?measure (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a zgo:Observation ; zgo:measure ?measure }
        GROUP BY ?measure""")
    return {row["measure"]: int(row["n"]) for row in rows}


def test_every_measure_has_a_page_with_all_its_observations(project_client, dashboard, measure_counts):
    assert measure_counts
    listed = {link for link in dashboard.links if link.startswith("/figures/")}
    for iri, count in measure_counts.items():
        assert iri.startswith(MEASURE)
        url = "/figures/" + iri[len(MEASURE):]
        assert url in listed, url
        measure_page = page(project_client, url)
        rows = [r for chart in measure_page.charts.values() for r in chart["rows"]]
        assert len(rows) == count, url
        expected = {row["o"] for row in sparql(project_client, f"SELECT ?o WHERE {{ ?o zgo:measure <{iri}> }}")}
        assert {r["iri"] for r in rows} == expected
        assert len(measure_page.canvases) == len(measure_page.charts) >= 1


def test_the_list_counts_each_measures_observations(project_client, measure_counts):
    html = project_client.get("/figures?lang=en").get_data(as_text=True)
    for iri, count in measure_counts.items():
        slug = iri[len(MEASURE):]
        found = re.search(rf'<a href="/figures/{re.escape(slug)}">[^<]*</a> <span class="count">(\d+)</span>', html)
        assert found and int(found.group(1)) == count, slug


def test_shares_of_beijing_are_the_graphs_ranked(project_client, dashboard):
    expected = sparql(project_client, analyst_query("shares-of-a-whole", whole=ID + "beijing"))
    rows = dashboard.charts["chart-shares"]["rows"]
    assert len(rows) == len(expected) > 0
    assert [Decimal(str(r["value"])) for r in rows] == [Decimal(e["share"]) for e in expected]
    assert {r["iri"] for r in rows} == {e["observation"] for e in expected}
    assert [r["value"] for r in rows] == sorted((r["value"] for r in rows), reverse=True)
    count = sparql(project_client, """SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {
        ?o zgo:shareOf ?whole ; sdmx-attribute:unitMeasure unit:PERCENT .
        FILTER(?whole = zg:beijing || EXISTS { ?whole zgo:about zg:beijing }) }""")
    assert int(count[0]["n"]) == len(rows)


def test_revenue_by_industry_is_the_graphs_ranking(project_client, dashboard):
    expected = sparql(project_client, analyst_query("industries-by-revenue"))
    rows = dashboard.charts["chart-revenue"]["rows"]
    assert len(rows) == len(expected) > 0
    assert [Decimal(str(r["value"])) for r in rows] == [Decimal(e["yuan"]) for e in expected]
    labels = {e["industry"]: e["industryZh"] for e in expected}
    assert [r["industry"] for r in rows] == [labels[e["industry"]] for e in expected]
    assert all(r["unit"] == "元" for r in rows)


def test_planned_area_is_the_graphs_history(project_client, dashboard):
    expected = sparql(project_client, analyst_query("planned-area-over-time"))
    rows = dashboard.charts["chart-area"]["rows"]
    assert [(r["period"], Decimal(str(r["value"]))) for r in rows] == [
        (e["period"], Decimal(e["area"])) for e in expected]
    assert [r["year"] for r in rows] == [1988, 2017]
    # the period basis is shown: the first year is a curator's, the second not stated by the report
    assert [r["stated"] for r in rows] == [False, False]
    assert rows[0]["basis"] == "整理者补充"


def test_base_values_apply_the_written_multiplier(project_client):
    measure_page = page(project_client, "/figures/total-revenue")
    rows = {r["iri"]: r for chart in measure_page.charts.values() for r in chart["rows"]}
    total = rows[ID + "obs/total-revenue-2016"]
    assert total["value"] == 1840000000000  # 1.84 万亿元
    assert total["written"] == "1.84 万亿元"
    assert total["baseText"] == "1,840,000,000,000"
    html = project_client.get("/figures/total-revenue").get_data(as_text=True)
    assert "1,840,000,000,000" in html
    # the dashboard's revenue is in yuan too: 9289 亿元
    assert 928900000000 in [r["value"] for r in page(project_client, "/figures").charts["chart-revenue"]["rows"]]


def test_hedged_values_are_marked(project_client):
    hedged = {row["o"]: row["q"] for row in sparql(project_client, """
        SELECT ?o ?q WHERE { ?o a zgo:Observation ; zgo:qualifier ?q ; zgo:measure ?m }""")}
    assert hedged
    seen = {}
    for measure in {row["m"] for row in sparql(project_client, "SELECT DISTINCT ?m WHERE { ?o zgo:measure ?m }")}:
        measure_page = page(project_client, "/figures/" + measure[len(MEASURE):])
        for chart in measure_page.charts.values():
            for r in chart["rows"]:
                seen[r["iri"]] = r
        marked = [r for chart in measure_page.charts.values() for r in chart["rows"] if r["hedge"]]
        assert sorted(measure_page.hedge_marks) == sorted(r["hedge"] for r in marked)
    for iri in seen:
        assert bool(seen[iri]["hedge"]) == (iri in hedged), iri
        assert bool(seen[iri]["direction"]) == (iri in hedged), iri
    # 近万家: nearly 1 万, under the figure
    near = seen[ID + "obs/high-tech-enterprises-2016"]
    assert (near["hedge"], near["direction"], near["value"]) == ("近", "below", 10000)
    assert near["written"].startswith("近 1")
    # 以上: at least, above the figure
    at_least = seen[ID + "obs/cloud-revenue-share-of-beijing"]
    assert (at_least["hedge"], at_least["direction"]) == ("以上", "above")
    assert at_least["written"].endswith("以上")


def test_each_point_links_to_evidence_that_resolves(project_client, dashboard):
    checked = 0
    for chart in dashboard.charts.values():
        for r in chart["rows"]:
            assert r["href"].startswith("/id/obs/")
            assert r["href"] in dashboard.links and r["sentence"] in dashboard.links
            assert r["quote"]
            observation = project_client.get(r["href"], headers={"Accept": "text/html"})
            assert observation.status_code == 200, r["href"]
            assert r["quote"] in observation.get_data(as_text=True).replace("&#34;", '"')
            sentence = project_client.get(r["sentence"])
            assert sentence.status_code == 200, r["sentence"]
            checked += 1
    assert checked >= 13 + 3 + 2


def test_pages_keep_to_the_content_policy(project_client, dashboard):
    for p in (dashboard, page(project_client, "/figures/planned-area?lang=en")):
        assert p.styled == []
        assert all(s.get("src") or s.get("type") == "application/json" for s in p.scripts)
        assert {s.get("src") for s in p.scripts if s.get("src")} == {
            "/static/vendor/chart.js/chart.umd.min.js", "/static/js/figures.js"}
        assert "<" not in p.data_block and ">" not in p.data_block and "&" not in p.data_block
    for script in ("/static/js/figures.js", "/static/vendor/chart.js/chart.umd.min.js"):
        with project_client.get(script) as answer:
            assert answer.status_code == 200


def test_language_follows_lang(project_client):
    en = page(project_client, "/figures?lang=en")
    assert en.charts["chart-revenue"]["rows"][0]["unit"] == "yuan"
    assert en.charts["chart-area"]["rows"][0]["basis"] == "added by a curator"
    zh = page(project_client, "/figures?lang=zh")
    assert zh.charts["chart-area"]["rows"][0]["basis"] == "整理者补充"


@pytest.mark.parametrize("slug", ["no-such-measure", "share/../../etc", "%3Cscript%3E", "x" * 500, "total-revenue/x"])
def test_unknown_measures_are_404_pages(project_client, slug):
    answer = project_client.get("/figures/" + slug)
    assert answer.status_code == 404
    assert answer.mimetype == "text/html"
    assert "<script>" not in answer.get_data(as_text=True)
