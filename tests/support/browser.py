"""Helpers the real-browser tests share: waiting, alerts, reading the AG Grid's rendered rows."""

from __future__ import annotations

import time

from selenium.common.exceptions import NoAlertPresentException


def wait_until(condition, timeout: float = 20, message: str = "condition"):
    """The condition's first truthy value, polled every 0.1 s; AssertionError naming ``message`` at the timeout."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - stale elements while React re-renders
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")


def no_alert(driver) -> bool:
    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


GRID_ROWS = """
const rows = [...document.querySelectorAll(arguments[0] + ' .ag-center-cols-container .ag-row')];
rows.sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')));
return rows.map(r => Object.fromEntries([...r.querySelectorAll('[col-id]')].map(c => [c.getAttribute('col-id'), c.innerText])));
"""


def grid_rows(dash_duo, grid: str = "#claims-table") -> list[dict]:
    """Rendered rows of an AG Grid, top to bottom, as {column id: text} (read in one script: no stale elements)."""
    return dash_duo.driver.execute_script(GRID_ROWS, grid)


def cell_text(row: dict, col: str) -> str:
    return row.get(col, "")
