"""The query workbench (/query) in a real browser: an example picked, run and seen as a table and as a
chart, a CONSTRUCT seen as a graph, a shared link opening with its query, the analyst queries' parameters
bound as the command line binds them, and nothing refused by the content policy or failing to load.
Screenshots: workbench-table, workbench-chart, workbench-graph (var/test-artifacts/screenshots)."""

import json
import urllib.parse
import urllib.request
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser import console_errors, screenshot
from zgckg.kg.queries import bindings, load_queries
from zgckg.kg.results import run_query

CONSTRUCT = "CONSTRUCT { zg:xiaomi ?p ?o } WHERE { zg:xiaomi ?p ?o }"


@pytest.fixture(scope="module")
def analyst(project_app):
    return load_queries(project_app.extensions["zgckg"].config.queries_dir)


def open_workbench(browser, url: str):
    browser.get(url)
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return !!window.workbench"))
    return browser


def editor_text(browser) -> str:
    return browser.execute_script("return workbench.yasqe.getValue()")


def wait_for_rows(browser, count: int):
    WebDriverWait(browser, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".yasr .dataTable tbody tr")) == count)


def cli_answer(project_app, text: str, bound: dict[str, str] | None = None) -> list[dict]:
    """What ``zgckg query`` answers: the same engine, the query's parameters bound."""
    engine = project_app.extensions["zgckg"].engine
    return json.loads(run_query(engine, text, "json", bindings=bound))["results"]["bindings"]


def endpoint_answer(server: str, text: str) -> list[dict]:
    request = urllib.request.Request(server + "/sparql", data=urllib.parse.urlencode({"query": text}).encode(),
                                     headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["results"]["bindings"]


def canonical(rows: list[dict]) -> list[str]:
    return sorted(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows)


def test_pick_an_example_run_it_and_see_the_table(browser, project_server, project_app, analyst):
    page = open_workbench(browser, project_server + "/query?lang=en")
    query = analyst["entities-per-class"]
    Select(page.find_element(By.ID, "wb-example")).select_by_value(query.name)
    assert editor_text(page) == query.text
    assert page.find_element(By.ID, "wb-question").text == query.question("en")
    page.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    expected = cli_answer(project_app, query.text)
    assert len(expected) > 3
    wait_for_rows(page, len(expected))
    first = page.find_element(By.CSS_SELECTOR, ".yasr .dataTable tbody tr").text
    assert "zgo:" in first  # IRIs shortened with the project's prefixes
    share = page.find_element(By.ID, "wb-share").get_attribute("href")
    assert urllib.parse.unquote(share.split("?query=", 1)[1]) == query.text
    assert console_errors(page) == []
    screenshot(page, "workbench-table")


def test_the_answer_as_a_chart(browser, project_server):
    page = browser  # the answer of the test above
    assert page.find_elements(By.CSS_SELECTOR, ".yasr .dataTable tbody tr"), "run the table test first"
    page.find_element(By.CSS_SELECTOR, ".yasr_btn.select_chart").click()
    canvas = WebDriverWait(page, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, ".wb-chart canvas"))
    WebDriverWait(page, 10).until(lambda d: canvas.size["width"] > 200 and canvas.size["height"] > 100)
    drawn = page.execute_script("""
        const c = document.querySelector('.wb-chart canvas');
        const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
        return [c.width, c.height, painted];""")
    assert drawn[0] > 0 and drawn[1] > 0 and drawn[2] > 1000
    chart = page.execute_script("const ch = workbench.yasr.plugins.chart.chart;"
                                "return [ch.config.type, ch.data.labels.length, ch.data.datasets[0].data.length]")
    rows = len(page.execute_script("return workbench.yasr.results.getBindings()"))
    assert chart == ["bar", rows, rows]
    assert console_errors(page) == []
    screenshot(page, "workbench-chart")


def test_a_shared_construct_opens_runs_and_shows_as_a_graph(browser, project_server, project_app):
    page = open_workbench(browser, project_server + "/query?lang=zh&query=" + quote(CONSTRUCT))
    assert editor_text(page) == CONSTRUCT
    # it runs on opening: the answer is there without a click
    WebDriverWait(page, 30).until(lambda d: d.execute_script(
        "return !!(workbench.yasr.results && workbench.yasr.results.getBindings())"))
    triples = page.execute_script("return workbench.yasr.results.getBindings().length")
    engine = project_app.extensions["zgckg"].engine
    assert triples == len(run_query(engine, CONSTRUCT, "nt").decode().strip().splitlines()) > 5
    page.find_element(By.CSS_SELECTOR, ".yasr_btn.select_graph").click()
    WebDriverWait(page, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".wb-graph canvas"))
    nodes, edges, labels = page.execute_script(
        "const cy = workbench.yasr.plugins.graph.cy;"
        "return [cy.nodes().length, cy.edges().length, cy.edges().map(e => e.data('label'))]")
    assert edges == triples and 2 < nodes <= triples + 1
    assert "rdf:type" in labels and "rdfs:label" in labels
    box = page.find_element(By.CSS_SELECTOR, ".wb-graph")
    assert box.size["width"] > 200 and box.size["height"] > 200
    assert console_errors(page) == []
    screenshot(page, "workbench-graph")


def test_a_select_of_triples_shows_as_a_graph(browser, project_server):
    text = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(?s = zg:baidu) }"
    page = open_workbench(browser, project_server + "/query?query=" + quote(text))
    WebDriverWait(page, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr .dataTable tbody tr"))
    page.find_element(By.CSS_SELECTOR, ".yasr_btn.select_graph").click()
    WebDriverWait(page, 10).until(lambda d: d.execute_script(
        "const g = workbench.yasr.plugins.graph; return !!(g.cy && g.cy.edges().length)"))
    assert console_errors(page) == []


def test_the_share_link_reflects_the_editor(browser, project_server):
    page = open_workbench(browser, project_server + "/query")
    text = "ASK { zg:haidian-park ?p ?o }  # 海淀园 & <co>"
    page.execute_script("workbench.yasqe.setValue(arguments[0])", text)
    link = page.find_element(By.ID, "wb-share").get_attribute("href")
    open_workbench(page, link)
    assert editor_text(page) == text
    assert console_errors(page) == []


def test_the_examples_parameters_are_bound_as_the_command_line_binds_them(browser, project_server, project_app,
                                                                         analyst):
    page = open_workbench(browser, project_server + "/query")
    with_params = [q for q in analyst.values() if q.params]
    assert len(with_params) >= 3
    for query in with_params:
        page.execute_script("workbench.load(arguments[0])", query.name)
        text = editor_text(page)
        assert text != query.text and "VALUES ?" in text
        expected = cli_answer(project_app, query.text, bindings(query))
        assert expected, query.name
        assert canonical(endpoint_answer(project_server, text)) == canonical(expected), query.name
    # and the ones without parameters run as written
    for query in analyst.values():
        if not query.params:
            page.execute_script("workbench.load(arguments[0])", query.name)
            assert editor_text(page) == query.text
    assert console_errors(page) == []


def test_the_default_editor_declares_the_prefixes_and_runs(browser, project_server):
    page = open_workbench(browser, project_server + "/query?lang=en")
    text = editor_text(page)
    assert "PREFIX zgo: <https://w3id.org/zgckg/ontology#>" in text
    assert "PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>" in text
    page.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    WebDriverWait(page, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr .dataTable tbody tr"))
    assert page.find_element(By.ID, "wb-form").get_attribute("hidden") is not None  # the fallback form is hidden
    assert console_errors(page) == []


def test_a_syntax_error_tooltip_keeps_the_content_policy(browser, project_server):
    from selenium.webdriver.common.action_chains import ActionChains

    page = open_workbench(browser, project_server + "/query?query=" + quote("SELECT * WHERE { ?s ?p }"))
    icon = WebDriverWait(page, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, ".parseErrorIcon"))
    ActionChains(page).move_to_element(icon).perform()
    tooltip = WebDriverWait(page, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, ".yasqe_tooltip"))
    assert "Expected" in tooltip.text and tooltip.find_elements(By.TAG_NAME, "strong")
    assert "style=" not in tooltip.get_attribute("innerHTML")
    # the only thing logged is the endpoint's 400 for the broken query, which ran on opening
    assert all("/sparql" in e and "400" in e for e in console_errors(page))
