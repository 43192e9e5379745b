"""Debian's Chromium, driven by Selenium through Debian's chromedriver, for tests of pages people look at.

The driver is the system's (``/usr/bin/chromedriver``, from ``scripts/install-test-deps``), given by path,
so nothing is ever downloaded. Chromium runs headless with its background services off: they would only
try to reach hosts a test machine need not reach. Screenshots go to ``var/test-artifacts/screenshots``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "var" / "test-artifacts" / "screenshots"
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1400", "--lang=zh-CN",
)


def start_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for needed in (CHROMEDRIVER, CHROMIUM):
        if not Path(needed).exists():
            raise RuntimeError(f"{needed} is missing: run scripts/install-test-deps")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='zgckg-chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def console_errors(driver) -> list[str]:
    """What the page logged at error level since the last call (failed loads, policy violations, script errors)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(driver, name: str) -> Path:
    """The whole page, however long, as var/test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 800), 6000))
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1400)
    return path
