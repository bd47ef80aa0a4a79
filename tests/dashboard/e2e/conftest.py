"""Browser tests run in headless Chromium through dash[testing]'s ``dash_duo``."""

from __future__ import annotations

from selenium.webdriver.chrome.options import Options

CHROME_ARGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--window-size=1440,1000",
)


def pytest_setup_options():
    """dash.testing hook: the Chrome options for every dash_duo browser."""
    options = Options()
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    return options
