"""A real browser: log in, read the dashboard, pause a campaign with a click."""

from __future__ import annotations

import os
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dozvon.store import CampaignState, Store
from tests.integration.web.site import PASSWORDS

SCREENSHOT_DIR = "DOZVON_WEB_SCREENSHOTS"
"""Set it to keep the screenshots for a look; otherwise they go to pytest's tmp_path."""


def state_of(store: Store, name: str) -> CampaignState | None:
    with store.unit_of_work() as uow:
        row = uow.campaigns.get(name)
        return row.state if row else None


def test_log_in_and_pause_a_campaign_by_clicking(
    server: str, browser: webdriver.Chrome, store: Store, tmp_path: Path
) -> None:
    shots = Path(os.environ.get(SCREENSHOT_DIR, tmp_path))
    browser.get(server + "/")
    assert browser.current_url.startswith(server + "/login")
    browser.find_element(By.NAME, "username").send_keys("operator")
    browser.find_element(By.NAME, "password").send_keys(PASSWORDS["operator"])
    browser.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url == server + "/")

    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-campaign="confirm-tomorrow"]')
    assert "работает" in row.text
    assert "подтвердил: 1" in row.text
    assert "+79161234567" not in browser.page_source
    browser.save_screenshot(str(shots / "dashboard.png"))

    row.find_element(By.CSS_SELECTOR, "button.pause").click()
    WebDriverWait(browser, 10).until(
        lambda _: state_of(store, "confirm-tomorrow") is CampaignState.PAUSED
    )
    WebDriverWait(browser, 10).until(
        lambda d: (
            "на паузе"
            in d.find_element(By.CSS_SELECTOR, 'tr[data-campaign="confirm-tomorrow"]').text
        )
    )
    assert state_of(store, "lab-results") is CampaignState.RUNNING
    browser.save_screenshot(str(shots / "paused.png"))

    browser.get(server + "/attempts")
    assert "+*********67" in browser.page_source
    browser.save_screenshot(str(shots / "attempts.png"))
