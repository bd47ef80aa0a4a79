"""Issue 11 in a real browser: a claim measured at two model sizes is two points joined by a line,
its hover says where each value came from, and the notes count the claims with no model size."""

from __future__ import annotations


import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from dashboard.app import create_app
from support.browser import wait_until
from support.settings_store import write_settings_store

pytestmark = pytest.mark.browser

#: (trace, point) of every landscape marker of a paper with a given multiplier
FIND = """
const gd = document.querySelector('#landscape-graph .js-plotly-plot');
const out = [];
gd._fullData.forEach((t, i) => (t.customdata || []).forEach((p, j) => {
  if (p === arguments[0] && Math.abs(t.y[j] - arguments[1]) < 1e-6 && t.mode === 'markers') out.push([i, j, t.x[j]]);
}));
return out;
"""



def test_a_multi_size_claim_is_two_joined_points_with_a_stated_hover(dash_duo, tmp_path):
    dash_duo.start_server(create_app(write_settings_store(tmp_path / "store")))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?x=model_size")
    wait_until(lambda: len(dash_duo.find_elements("#landscape-graph .scatterlayer .point")) == 12,
               message="12 points: 11 claims with a size, one of them at two sizes")
    found = wait_until(lambda: dash_duo.driver.execute_script(FIND, "2401.00002", 3.5), message="TurboAttn's points")
    assert sorted(x for _, _, x in found) == [7e9, 70e9]
    # the joining line is drawn and named in the legend
    assert dash_duo.find_elements("#landscape-graph .scatterlayer .trace .js-line")
    legend = dash_duo.find_element("#landscape-graph .legend").text
    assert "one claim at several sizes (joined)" in legend
    # hovering one of them says each axis value and where it came from
    trace, index, _ = found[0]
    group = dash_duo.find_elements("#landscape-graph .scatterlayer .trace")[trace]
    ActionChains(dash_duo.driver).move_to_element(group.find_elements(By.CSS_SELECTOR, ".point")[index]).perform()
    hover = wait_until(lambda: " ".join(e.text for e in dash_duo.find_elements("#landscape-graph .hoverlayer .hovertext")),
                       message="a hover label")
    assert "7B, 70B (stated) · 8 GPUs (from the paper) · H100 (stated)" in hover.replace("\n", " ")
    notes = dash_duo.find_element("#landscape-graph").find_element(By.XPATH, "ancestor::*[1]").text
    notes = " ".join(e.text for e in dash_duo.find_elements(".notes li")) or notes
    assert "1 of 12 claims state no model size (not plotted)." in notes
    assert "1 claim measured at several model sizes" in notes


def test_unknown_keep_is_a_checkbox_in_the_url(dash_duo, tmp_path):
    dash_duo.start_server(create_app(write_settings_store(tmp_path / "store")))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?size=7..70&x=gpus")
    dash_duo.wait_for_text_to_equal("#caption", "All claims on 7B–70B models")
    dash_duo.find_element("#f-unknown input").click()
    wait_until(lambda: "unknown=keep" in dash_duo.driver.current_url, message="unknown=keep in the URL")
    dash_duo.wait_for_text_to_equal(
        "#caption", "All claims on 7B–70B models, keeping claims with an unknown model size or GPU count")
