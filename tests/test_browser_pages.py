"""The pages in a real browser: nothing fails to load or breaks the content policy, the evidence is
highlighted inside its sentence, the language switch works and is remembered. Each page is saved as a
screenshot (var/test-artifacts/screenshots)."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser import console_errors, screenshot

QUOTE = "百度深度学习技术及应用国家工程实验室"


def open_page(browser, url: str):
    browser.get(url)
    assert browser.execute_script("return document.readyState") == "complete"
    return browser


def test_home_page(browser, project_server):
    page = open_page(browser, project_server + "/?lang=zh")
    page.find_element(By.CSS_SELECTOR, 'a[href="/id/haidian-park"]').click()
    WebDriverWait(page, 10).until(lambda d: d.current_url.endswith("/id/haidian-park"))
    assert page.find_element(By.TAG_NAME, "h1").text.startswith("中关村科技园区海淀园")
    open_page(page, project_server + "/?lang=zh")
    assert console_errors(page) == []
    screenshot(page, "home-page")


def test_entity_page(browser, project_server):
    page = open_page(browser, project_server + "/id/baidu-deep-learning-lab?lang=zh")
    assert page.find_element(By.TAG_NAME, "h1").text.startswith(QUOTE)
    marks = page.find_elements(By.CSS_SELECTOR, ".evidence blockquote mark")
    assert QUOTE in [m.text for m in marks]
    sentence = marks[0].find_element(By.XPATH, "..").text
    assert sentence.startswith("先后推动北京石墨烯产业创新中心") and sentence.endswith("开展科技攻关。")
    # the highlight is visible: a background colour of its own, unlike the sentence around it
    assert marks[0].value_of_css_property("background-color") != marks[0].find_element(
        By.XPATH, "..").value_of_css_property("background-color")
    assert page.find_element(By.CSS_SELECTOR, ".badge.curated").is_displayed()
    assert console_errors(page) == []
    screenshot(page, "entity-page")


def test_language_switch_is_remembered(browser, project_server):
    page = open_page(browser, project_server + "/id/baidu?lang=zh")
    assert page.find_element(By.TAG_NAME, "h1").text.startswith("百度")
    page.find_element(By.LINK_TEXT, "English").click()
    WebDriverWait(page, 10).until(lambda d: "lang=en" in d.current_url)
    assert page.find_element(By.TAG_NAME, "h1").text.startswith("Baidu")
    open_page(page, project_server + "/id/xiaomi")  # no parameter: the cookie speaks
    assert page.find_element(By.TAG_NAME, "h1").text.startswith("Xiaomi")
    assert page.find_element(By.CSS_SELECTOR, "html").get_attribute("lang") == "en"
    page.find_element(By.LINK_TEXT, "中文").click()
    WebDriverWait(page, 10).until(lambda d: "lang=zh" in d.current_url)
    assert page.find_element(By.TAG_NAME, "h1").text.startswith("小米")
    assert console_errors(page) == []
    screenshot(page, "entity-page-zh")


def test_sentence_page(browser, project_server):
    page = open_page(browser, project_server + "/source/sentence/p04s06")
    marks = page.find_elements(By.TAG_NAME, "mark")
    assert QUOTE in [m.text for m in marks]
    assert page.find_element(By.CSS_SELECTOR, 'a[href="/id/baidu-deep-learning-lab"]')
    assert console_errors(page) == []
    screenshot(page, "sentence-page")


def test_source_page_sections_lead_to_their_sentences(browser, project_server):
    page = open_page(browser, project_server + "/source?lang=en")
    entries = page.find_elements(By.CSS_SELECTOR, "ul.sections a")
    assert [e.text for e in entries][:3] == ["Title lines", "Introduction", "Part 1"]
    item = next(e for e in entries if e.text == "Part 1, item 2")
    item.click()
    WebDriverWait(page, 10).until(lambda d: d.current_url.endswith("#p04s05"))
    assert "二是支持顶尖科学家和顶尖机构设立" in page.find_element(By.ID, "p04s05").text
    assert console_errors(page) == []
    open_page(page, project_server + "/source?lang=en")
    screenshot(page, "source-page")


def test_ontology_page(browser, project_server):
    page = open_page(browser, project_server + "/ontology#Enterprise")
    section = page.find_element(By.ID, "Enterprise")
    assert "企业" in section.text and "Enterprise" in section.text
    assert console_errors(page) == []
    screenshot(page, "ontology-page")


def test_dumps_page(browser, project_server):
    page = open_page(browser, project_server + "/dumps/")
    links = [a.get_attribute("href") for a in page.find_elements(By.CSS_SELECTOR, "a[href*='.gz']")]
    assert any(link.endswith(".nq.gz") for link in links)
    assert any(link.endswith(".ttl.gz") for link in links)
    assert console_errors(page) == []
    screenshot(page, "dumps-page")


def test_search_and_not_found_pages(browser, project_server):
    page = open_page(browser, project_server + "/id/haidian-park?lang=zh")
    box = page.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
    box.send_keys("清华")
    box.submit()
    WebDriverWait(page, 10).until(lambda d: "/search" in d.current_url)
    assert page.find_element(By.CSS_SELECTOR, 'a[href="/id/tsinghua-university"]')
    screenshot(page, "search-page")
    open_page(page, project_server + "/id/xiaom")
    assert page.find_element(By.CSS_SELECTOR, '.suggestions a[href="/id/xiaomi"]')
    errors = console_errors(page)
    assert len(errors) == 1 and "404" in errors[0]  # the page's own status, and nothing else
