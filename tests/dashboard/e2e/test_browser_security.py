"""Hostile text in a real browser: titles, systems, abstracts and sentences holding <script>,
<img onerror>, <svg onload> and javascript: links render as text on every view, and none runs.

Complements test_dashboard_browser.py (which checks the side-by-side facts table for the
handmade store's hostile title): here every tab, the paper search box and the hover labels
are visited, and a script that ran would set ``window.__xss`` instead of opening an alert.
"""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By

from dashboard.app import create_app
from support.stores import handmade_tables, manifest_for, write_handmade_store
from etl.store import publish, record_run, write_snapshot

pytestmark = pytest.mark.browser
XSS_RUN = "20261124T060000Z-cccccc"
XSS = (
    '<script>window.__xss="script"</script><img src=x onerror="window.__xss=\'img\'">'
    '<svg onload="window.__xss=\'svg\'"></svg><a href="javascript:window.__xss=\'a\'">a</a>'
    "[md](javascript:window.__xss='md') <iframe src=\"javascript:window.__xss='iframe'\"></iframe>"
)
TITLE = "XSSServe: " + XSS
SYSTEM = "XSSServe" + XSS


@pytest.fixture(scope="module")
def xss_store(tmp_path_factory):
    store = write_handmade_store(tmp_path_factory.mktemp("xss") / "store")
    tables = handmade_tables(XSS_RUN)
    import polars as pl

    from etl.normalise import baseline_kinds_expr

    target = "2401.00001"
    hit = pl.col("paper_id") == target
    tables["papers"] = tables["papers"].with_columns(
        title=pl.when(hit).then(pl.lit(TITLE)).otherwise("title"),
        system=pl.when(hit).then(pl.lit(SYSTEM)).otherwise("system"),
        abstract=pl.when(hit).then(pl.lit("2.1x " + XSS)).otherwise("abstract"),
    )
    tables["claims"] = tables["claims"].with_columns(
        sentence=pl.when(hit).then(pl.lit("It is 2.1x faster " + XSS)).otherwise("sentence"),
        baseline=pl.when(hit).then(pl.lit("vLLM" + XSS)).otherwise("baseline"),
        baseline_raw=pl.when(hit).then(pl.lit("vLLM" + XSS)).otherwise("baseline_raw"),
        baselines=pl.when(hit).then(pl.concat_list(pl.lit("vLLM" + XSS))).otherwise("baselines"),  # what the views read
    ).with_columns(baseline_kinds=baseline_kinds_expr("baselines"))
    manifest = manifest_for(XSS_RUN, tables)
    write_snapshot(store, XSS_RUN, tables, manifest)
    publish(store, XSS_RUN)
    record_run(store, manifest)
    return store


def assert_nothing_ran(driver, where: str) -> None:
    time.sleep(0.5)  # let image errors and onload handlers fire if they were going to
    ran = driver.execute_script("return window.__xss === undefined ? null : String(window.__xss)")
    assert ran is None, f"{where}: injected script ran ({ran})"
    injected = driver.execute_script(
        "return [...document.querySelectorAll('img[src=\"x\"], iframe, svg[onload], [onerror], [onload], "
        "a[href^=\"javascript\" i]')].map(e => e.outerHTML.slice(0, 120))"
    )
    assert injected == [], f"{where}: injected elements in the DOM: {injected}"


def wait_for_text(driver, text: str, timeout: float = 15) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if text in driver.find_element(By.TAG_NAME, "body").text:
            return
        time.sleep(0.2)
    raise AssertionError(f"{text[:60]!r} not shown as text")


VISITS = [
    ("?papers=2401.00001&papers=2401.00002&tab=side", TITLE),
    ("?tab=table&q=xssserve", "It is 2.1x faster"),
    ("?tab=baselines&focus=vLLM" + "%3Cscript%3E", "vLLM<script>"),
    ("?q=%3Cimg%20src%3Dx%20onerror%3Dwindow.__xss%3D1%3E", "<img src=x onerror=window.__xss=1>"),
    ("?color=baseline", None),
]


def test_hostile_text_renders_as_text_and_no_script_runs(dash_duo, xss_store):
    """Side by side, claims table, baselines, a hostile search and the landscape with its hover labels."""
    from selenium.webdriver.common.action_chains import ActionChains

    dash_duo.start_server(create_app(xss_store))
    for query, shown in VISITS:
        dash_duo.driver.get("about:blank")
        dash_duo.wait_for_page(f"{dash_duo.server_url}/{query}")
        dash_duo.wait_for_element("#caption")
        if shown:
            wait_for_text(dash_duo.driver, shown)
        assert_nothing_ran(dash_duo.driver, query)
    dash_duo.wait_for_element("#landscape-graph .scatterlayer .point")
    for point in dash_duo.find_elements("#landscape-graph .scatterlayer .point")[:12]:
        ActionChains(dash_duo.driver).move_to_element(point).perform()  # hover labels hold sentence and title
    assert_nothing_ran(dash_duo.driver, "landscape hover")


def test_the_paper_search_box_lists_hostile_titles_as_text(dash_duo, xss_store):
    dash_duo.start_server(create_app(xss_store))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?tab=side")
    from selenium.webdriver.common.action_chains import ActionChains

    dash_duo.wait_for_element("#f-papers").click()
    ActionChains(dash_duo.driver).send_keys("xssserve").perform()
    wait_for_text(dash_duo.driver, "XSSServe")
    assert_nothing_ran(dash_duo.driver, "paper search options")


RECORD_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_the_app_works_under_its_content_security_policy(dash_duo, big_store):
    """15.12: every view (a WebGL landscape, the grids, the baselines, an export) runs with no CSP violation."""
    dash_duo.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_CSP})
    dash_duo.start_server(create_app(big_store))
    for query, ready in [("", "#landscape-graph .gl-container, #landscape-graph canvas"),
                         ("?tab=table&sort=multiplier:desc", "#claims-table .ag-row mark"),
                         ("?tab=baselines&focus=vLLM", "#focus-table .ag-row"),
                         ("?tab=side&papers=2401.00001~0&papers=2401.00002~0", "#side-facts table")]:
        dash_duo.wait_for_page(f"{dash_duo.server_url}/{query}")
        dash_duo.wait_for_element(ready, timeout=20)
        time.sleep(0.5)
        assert dash_duo.driver.execute_script("return window.__csp") == [], query
    policy = dash_duo.driver.execute_script(
        "return fetch('/').then(r => r.headers.get('content-security-policy'))")
    assert "frame-ancestors 'none'" in policy
    assert not [e for e in dash_duo.get_logs() or [] if "Content Security Policy" in e.get("message", "")]
