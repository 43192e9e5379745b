"""The figures pages in a real browser: every chart is drawn, a click on a bar or a point opens the
figure's evidence, table links lead there too, and nothing breaks the content policy. Screenshots:
figures-dashboard and figures-measure (var/test-artifacts/screenshots)."""

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser import console_errors, screenshot

CHARTS = ("chart-shares", "chart-revenue", "chart-area")


def open_page(browser, url: str):
    browser.get(url)
    assert browser.execute_script("return document.readyState") == "complete"
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('canvas')].every(c => window.Chart && Chart.getChart(c))"))
    return browser


def drawn(browser, canvas_id: str) -> dict:
    """The canvas's size and whether anything but blank pixels is on it."""
    return browser.execute_script("""
        const canvas = document.getElementById(arguments[0]);
        const box = canvas.getBoundingClientRect();
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let inked = 0;
        for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) inked++; }
        return {width: box.width, height: box.height, inked: inked, chart: !!Chart.getChart(canvas)};
    """, canvas_id)


def click_element(browser, canvas_id: str, dataset: int, index: int) -> None:
    """Click the middle of one bar (or on one point) of a chart."""
    where = browser.execute_script("""
        const canvas = document.getElementById(arguments[0]);
        const chart = Chart.getChart(canvas);
        const element = chart.getDatasetMeta(arguments[1]).data[arguments[2]];
        const horizontal = chart.options.indexAxis === 'y';
        const x = horizontal ? (element.x + element.base) / 2 : element.x;
        const box = canvas.getBoundingClientRect();
        return {x: x - box.width / 2, y: element.y - box.height / 2};
    """, canvas_id, dataset, index)
    canvas = browser.find_element(By.ID, canvas_id)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
    ActionChains(browser).move_to_element_with_offset(canvas, int(where["x"]), int(where["y"])).click().perform()


def test_dashboard_draws_every_chart(browser, project_server):
    page = open_page(browser, project_server + "/figures?lang=zh")
    for canvas_id in CHARTS:
        state = drawn(page, canvas_id)
        assert state["chart"] and state["width"] > 0 and state["height"] > 0, canvas_id
        assert state["inked"] > 0, canvas_id
    # the tables are there too, one row per bar or point
    for canvas_id in CHARTS:
        rows = page.find_elements(By.CSS_SELECTOR, f"#{canvas_id}-table tbody tr")
        points = page.execute_script(
            "return Chart.getChart(document.getElementById(arguments[0])).data.datasets"
            ".reduce((n, d) => n + d.data.filter(v => v !== null).length, 0)", canvas_id)
        assert len(rows) == points > 0
    assert page.find_elements(By.CSS_SELECTOR, ".hedge")  # 以上, 约 among the shares
    assert console_errors(page) == []
    screenshot(page, "figures-dashboard")


def test_clicking_a_bar_opens_its_evidence(browser, project_server):
    page = open_page(browser, project_server + "/figures?lang=zh")
    expected = page.execute_script(
        "return Chart.getChart(document.getElementById('chart-revenue')).data.datasets[0].rows[0].href")
    assert expected.startswith("/id/obs/")
    click_element(page, "chart-revenue", 0, 0)
    WebDriverWait(page, 10).until(lambda d: d.current_url.endswith(expected))
    assert page.find_elements(By.CSS_SELECTOR, ".evidence mark") or "9289" in page.page_source
    assert console_errors(page) == []


def test_clicking_a_point_opens_its_evidence(browser, project_server):
    page = open_page(browser, project_server + "/figures?lang=en")
    click_element(page, "chart-area", 0, 1)
    WebDriverWait(page, 10).until(lambda d: d.current_url.endswith("/id/obs/planned-area-current"))
    assert "174.06" in page.page_source
    assert console_errors(page) == []


def test_table_links_lead_to_the_sentence(browser, project_server):
    page = open_page(browser, project_server + "/figures?lang=zh")
    link = page.find_element(By.CSS_SELECTOR, "#chart-area-table a.sentence-link")
    target = link.get_attribute("href")
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    WebDriverWait(page, 10).until(lambda d: d.current_url == target)
    marks = [m.text for m in page.find_elements(By.TAG_NAME, "mark")]
    assert any("174.06" in m for m in marks)
    assert console_errors(page) == []


def test_measure_page(browser, project_server):
    page = open_page(browser, project_server + "/figures/number-of-enterprises?lang=zh")
    canvases = page.find_elements(By.TAG_NAME, "canvas")
    assert canvases
    for canvas in canvases:
        state = drawn(page, canvas.get_attribute("id"))
        assert state["width"] > 0 and state["height"] > 0 and state["inked"] > 0
    # 近万家: hedged, marked in the table
    assert "近" in [m.text for m in page.find_elements(By.CSS_SELECTOR, "td .hedge")]
    first = page.find_element(By.CSS_SELECTOR, "a.obs-link")
    target = first.get_attribute("href")
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", first)
    open_page(page, project_server + "/figures/number-of-enterprises?lang=zh")
    assert console_errors(page) == []
    screenshot(page, "figures-measure")
    page.get(target)
    assert page.find_elements(By.CSS_SELECTOR, ".evidence mark")
    assert console_errors(page) == []


def test_the_page_works_without_the_charts(browser, project_server):
    """The tables carry everything: the nav leads to the page, and every row links to its evidence."""
    page = open_page(browser, project_server + "/?lang=zh")
    page.find_element(By.CSS_SELECTOR, 'header nav a[href="/figures"]').click()
    WebDriverWait(page, 10).until(lambda d: d.current_url.endswith("/figures"))
    rows = page.find_elements(By.CSS_SELECTOR, "table.chart-table tbody tr")
    assert rows and all(r.find_elements(By.CSS_SELECTOR, "a.obs-link") for r in rows)
    assert console_errors(page) == []
