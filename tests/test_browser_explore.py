"""The graph view in a real browser: a neighbourhood drawn, a node expanded by a click, an edge's evidence
opened, filters and the label language switched; screenshots of it and of the paths page."""

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser import console_errors, screenshot

LAB = "https://w3id.org/zgckg/id/baidu-deep-learning-lab"
DISTRICT = "https://w3id.org/zgckg/id/haidian-district"


def graph_size(driver) -> int:
    return driver.execute_script("return window.zgckgGraph ? window.zgckgGraph.nodes().length : 0")


def click_at(driver, position: dict) -> None:
    """A real mouse click on the graph's canvas, where Cytoscape draws the element."""
    container = driver.find_element(By.ID, "graph")
    ActionChains(driver).move_to_element_with_offset(
        container, position["x"] - container.size["width"] / 2, position["y"] - container.size["height"] / 2
    ).click().perform()


def test_graph_view_expands_a_node_and_shows_an_edges_evidence(browser, project_server):
    browser.get(project_server + "/explore?lang=zh&iri=" + LAB)
    WebDriverWait(browser, 10).until(lambda d: graph_size(d) >= 4)
    before = graph_size(browser)
    # the district is a neighbour of the lab; clicking it opens its own relations
    WebDriverWait(browser, 5).until(lambda d: d.execute_script(
        "const cy = window.zgckgGraph; return !cy.$(':animated').length"))
    where = browser.execute_script(f"return window.zgckgGraph.getElementById('{DISTRICT}').renderedPosition()")
    click_at(browser, where)
    WebDriverWait(browser, 10).until(lambda d: graph_size(d) > before)
    assert browser.find_element(By.CSS_SELECTOR, "#details h3").text == "海淀区"
    # an edge with evidence: the quote is marked inside its sentence in the side panel
    middle = browser.execute_script(
        f"return window.zgckgGraph.edges().filter(e => e.data('source') === '{LAB}' && "
        "e.data('edge').evidence.length > 0)[0].renderedMidpoint()")
    click_at(browser, middle)
    mark = WebDriverWait(browser, 5).until(lambda d: d.find_element(By.CSS_SELECTOR, "#details blockquote mark"))
    assert mark.text and mark.find_element(By.XPATH, "..").text.endswith("。")
    assert browser.find_element(By.CSS_SELECTOR, "#details a[href^='/source/sentence/']")
    screenshot(browser, "graph-view")
    # filters hide edges; the language switch relabels the nodes
    visible = "return window.zgckgGraph.edges().filter(e => !e.hasClass('filtered')).length"
    shown = browser.execute_script(visible)
    browser.find_element(By.CSS_SELECTOR, "#kinds input[value=asserted]").click()
    assert browser.execute_script(visible) < shown
    browser.find_element(By.CSS_SELECTOR, "button[data-lang=en]").click()
    label = browser.execute_script(f"return window.zgckgGraph.getElementById('{DISTRICT}').data('label')")
    assert label == "Haidian District"
    assert console_errors(browser) == []


@pytest.mark.parametrize("name, subject", [("platforms", LAB), ("policies", None)])
def test_ready_made_views_draw(browser, project_server, name, subject):
    browser.get(project_server + f"/explore/{name}?lang=en")
    WebDriverWait(browser, 10).until(lambda d: graph_size(d) > 10)
    if subject:
        assert browser.execute_script(f"return window.zgckgGraph.getElementById('{subject}').nonempty()")
    assert console_errors(browser) == []
    screenshot(browser, f"graph-view-{name}")


def test_paths_page(browser, project_server):
    browser.get(project_server + "/paths?lang=zh&from=zg:tsinghua-university&to=zg:haidian-park")
    steps = browser.find_elements(By.CSS_SELECTOR, "ol.steps > li")
    assert steps and browser.find_elements(By.CSS_SELECTOR, "ol.steps mark")
    assert console_errors(browser) == []
    screenshot(browser, "paths-page")
