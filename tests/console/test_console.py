"""The console in a real headless Chromium (selenium + chromedriver).

Run by tests/it/console.rs against an in-process server of the demo
scenario: MOCKCLOUD_URL is its base URL, MOCKCLOUD_SCREENSHOTS the folders
(separated by the OS path separator) each page's screenshot is saved to.
"""

import json
import os
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["MOCKCLOUD_URL"].rstrip("/")
UI = BASE + "/__admin/ui"
SHOTS = [d for d in os.environ.get("MOCKCLOUD_SCREENSHOTS", "").split(os.pathsep) if d]

# The demo scenario's objects, and one per page to find on it.
PAGES = {
    "overview": ("/", "demo"),
    "grafana": ("/grafana", "acmeprod"),
    "datadog": ("/datadog", "Demo Holdings"),
    "gcore": ("/gcore", "shop-prod"),
    "live": ("/live", "Live requests"),
    "controls": ("/controls", "Fault rules"),
}


def call(method, path, body=None, headers=None):
    """A request to the server: (status, parsed JSON or text)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request) as response:
            status, raw = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read().decode()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1440,1000", "--disable-gpu"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chromium = os.environ.get("MOCKCLOUD_CHROMIUM", "/usr/bin/chromium")
    if os.path.exists(chromium):
        options.binary_location = chromium
    driver_path = os.environ.get("MOCKCLOUD_CHROMEDRIVER", "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def errors_in_console(driver):
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(driver, name):
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1440, min(max(height, 800), 4000))
    for folder in SHOTS:
        os.makedirs(folder, exist_ok=True)
        driver.save_screenshot(os.path.join(folder, f"{name}.png"))
    driver.set_window_size(1440, 1000)


def click(driver, element):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def wait(driver, seconds=10):
    return WebDriverWait(driver, seconds)


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_loads_without_console_errors_and_shows_the_scenario(browser, name):
    path, expected = PAGES[name]
    browser.get_log("browser")
    browser.get(UI + path)
    wait(browser).until(EC.presence_of_element_located((By.ID, "main")))
    assert expected in browser.find_element(By.ID, "main").text
    if name == "live":
        wait(browser).until(EC.text_to_be_present_in_element((By.ID, "live-state"), "live"))
    assert errors_in_console(browser) == []
    screenshot(browser, name)


def test_the_cost_chart_shows_the_totals_the_api_returns(browser):
    _, clock = call("GET", "/__admin/clock")
    year, month = int(clock["now"][:4]), int(clock["now"][5:7])
    start_year, start_month = (year, month - 6) if month > 6 else (year - 1, month + 6)
    start = f"{start_year:04d}-{start_month:02d}"
    status, costs = call(
        "GET",
        f"/api/v2/usage/historical_cost?start_month={start}&view=sub-org",
        headers={"DD-API-KEY": "mock-dd-demo-api-key", "DD-APPLICATION-KEY": "mock-dd-demo-app-key"},
    )
    assert status == 200, costs
    totals = [f"${row['attributes']['total_cost']:.2f}" for row in costs["data"]]
    assert totals, "the demo scenario has final months of cost"
    browser.get(f"{UI}/datadog?cost=historical&start_month={start}")
    svg = browser.find_element(By.CSS_SELECTOR, "#cost-chart svg").get_attribute("outerHTML")
    labels = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "#cost-chart svg text")]
    for total in totals:
        assert total in labels, (total, labels)
    assert svg.count("<rect") > len(totals)


def test_toggling_delete_protection_changes_the_grafana_api(browser):
    token = {"Authorization": "Bearer mock-acme-finops"}
    status, stack = call("GET", "/api/instances/acmestaging", headers=token)
    assert status == 200 and stack["deleteProtection"] is False, stack
    browser.get(UI + "/grafana?org=acme")
    button = browser.find_element(By.CSS_SELECTOR, 'button.toggle[data-stack="acmestaging"]')
    click(browser, button)
    wait(browser).until(lambda d: button.get_attribute("aria-pressed") == "true")
    _, stack = call("GET", "/api/instances/acmestaging", headers=token)
    assert stack["deleteProtection"] is True
    click(browser, button)
    wait(browser).until(lambda d: button.get_attribute("aria-pressed") == "false")
    _, stack = call("GET", "/api/instances/acmestaging", headers=token)
    assert stack["deleteProtection"] is False


def test_a_fault_added_in_the_console_fails_the_next_request_and_shows_live(browser):
    browser.get(UI + "/controls")
    rule = browser.find_element(By.ID, "fault-rule")
    rule.clear()
    rule.send_keys('{"id": "console-fault", "vendor": "gcore", "effect": {"error": {"status": 503}}}')
    click(browser, browser.find_element(By.ID, "add-fault"))
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "result"), "201"))
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "fault-rules"), "console-fault"))

    browser.get(UI + "/live?vendor=gcore")
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "live-state"), "live"))
    status, _ = call("POST", "/cloud/v1/usage_report",
                     {"time_from": "2026-01-01T00:00:00Z", "time_to": "2026-01-02T00:00:00Z"},
                     headers={"Authorization": "APIKey mock-gcore-key"})
    assert status == 503
    row = wait(browser).until(EC.presence_of_element_located(
        (By.XPATH, '//table[@id="journal"]//tr[contains(., "console-fault")]')))
    assert "503" in row.text
    click(browser, row)
    wait(browser).until(EC.text_to_be_present_in_element(
        (By.ID, "exchange"), "fault rule console-fault: error"))
    assert "503 Service Unavailable" in browser.find_element(By.ID, "exchange").text
    details = browser.find_element(By.ID, "entry-json").get_attribute("textContent")
    assert '"rule": "console-fault"' in details
    screenshot(browser, "live-fault")
    assert errors_in_console(browser) == []
    assert call("DELETE", "/__admin/faults/console-fault")[0] == 200


def test_freezing_the_clock_shows_the_frozen_instant(browser):
    browser.get(UI + "/controls")
    browser.find_element(By.ID, "freeze-at").send_keys("2026-01-31T23:59:00Z")
    click(browser, browser.find_element(By.ID, "freeze"))
    try:
        wait(browser).until(EC.text_to_be_present_in_element(
            (By.ID, "clock-status"), "frozen at 2026-01-31T23:59:00.000Z"))
        browser.get(UI + "/")
        assert "frozen" in browser.find_element(By.ID, "main").text
        assert "2026-01-31T23:59:00.000Z" in browser.find_element(By.ID, "main").text
    finally:
        call("POST", "/__admin/clock/real", {})


def test_with_an_admin_token_the_console_asks_for_it_once(browser):
    base = os.environ.get("MOCKCLOUD_TOKEN_URL", "").rstrip("/")
    token = os.environ.get("MOCKCLOUD_TOKEN")
    if not base or not token:
        pytest.skip("no server with an admin token (MOCKCLOUD_TOKEN_URL, MOCKCLOUD_TOKEN)")
    browser.get(base + "/__admin/ui/grafana?org=acme")
    wait(browser).until(EC.presence_of_element_located((By.ID, "login")))
    assert "acmeprod" not in browser.page_source
    screenshot(browser, "login")
    field = browser.find_element(By.ID, "token")
    field.send_keys("not-the-token")
    click(browser, browser.find_element(By.CSS_SELECTOR, "#login button"))
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "result"), "not the admin token"))
    browser.get_log("browser")  # the refused login's 401, as expected
    field.clear()
    field.send_keys(token)
    click(browser, browser.find_element(By.CSS_SELECTOR, "#login button"))
    wait(browser).until(EC.presence_of_element_located((By.ID, "stacks")))
    assert "acmeprod" in browser.find_element(By.ID, "main").text
    # Once: the other pages and the controls' admin calls need no new login.
    browser.get(base + "/__admin/ui/controls")
    click(browser, browser.find_element(By.ID, "reset"))
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "result"), "200"))
    assert errors_in_console(browser) == []


def test_the_live_filters_are_in_the_url_and_apply_to_the_stream(browser):
    from selenium.webdriver.support.ui import Select

    browser.get(UI + "/live")
    Select(browser.find_element(By.NAME, "vendor")).select_by_visible_text("datadog")
    browser.find_element(By.NAME, "status").send_keys("4xx")
    click(browser, browser.find_element(By.CSS_SELECTOR, "form.filters button"))
    wait(browser).until(lambda d: "vendor=datadog" in d.current_url and "status=4xx" in d.current_url)
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "live-state"), "live"))
    call("GET", "/cloud/v1/usage_report")  # Gcore's: not shown
    status, _ = call("GET", "/api/v1/usage/billable-summary",
                     headers={"DD-API-KEY": "wrong", "DD-APPLICATION-KEY": "wrong"})
    assert status == 403
    row = wait(browser).until(EC.presence_of_element_located(
        (By.XPATH, '//table[@id="journal"]/tbody/tr[contains(., "/api/v1/usage/billable-summary")]')))
    assert "403" in row.text
    assert "/cloud/v1/usage_report" not in browser.find_element(By.ID, "journal").text
    assert errors_in_console(browser) == []


def test_a_row_opens_the_whole_exchange_with_credentials_redacted(browser):
    from selenium.webdriver.common.keys import Keys

    secret = "mock-acme-finops"
    browser.get(UI + "/live?vendor=grafana")
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "live-state"), "live"))
    status, stack = call("GET", "/api/instances/acmeprod",
                         headers={"Authorization": f"Bearer {secret}",
                                  "X-Request-Id": "browser-exchange-1"})
    assert status == 200, stack
    row = wait(browser).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, '#journal tr[data-request-id="browser-exchange-1"]')))
    # The keyboard's way: Enter on the row's button.
    button = row.find_element(By.CSS_SELECTOR, "button.open")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.send_keys(Keys.ENTER)
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "exchange"), "200 OK"))
    panel = browser.find_element(By.ID, "exchange")
    headers = [th.text for th in panel.find_elements(By.CSS_SELECTOR, "table.headers th")]
    for name in ("authorization", "x-request-id", "content-type"):
        assert name in headers, headers
    assert "GET /api/instances/acmeprod HTTP/1.1" in panel.text
    assert "Bearer REDACTED" in panel.text
    body = panel.find_element(By.CSS_SELECTOR, "pre.response-body").get_attribute("textContent")
    assert json.loads(body)["slug"] == stack["slug"] == "acmeprod"
    assert secret not in browser.page_source
    assert "selected" in row.get_attribute("class")
    screenshot(browser, "live-details")
    assert errors_in_console(browser) == []


def test_a_request_answered_before_the_live_view_opened_says_it_was_not_captured(browser):
    # Off the live view; the server sees its stream close a moment later.
    browser.get(UI + "/controls")
    for attempt in range(50):
        request_id = f"browser-unwatched-{attempt}"
        call("GET", "/cloud/v1/usage_report", headers={"X-Request-Id": request_id})
        if call("GET", f"/__admin/ui/live/requests/{request_id}")[0] == 404:
            break
        time.sleep(0.1)
    else:
        pytest.fail("requests are still captured with no live view open")
    browser.get(UI + "/live?vendor=gcore")
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "live-state"), "live"))
    row = browser.find_element(By.CSS_SELECTOR, f'#journal tr[data-request-id="{request_id}"]')
    click(browser, row)
    wait(browser).until(EC.text_to_be_present_in_element((By.ID, "exchange"), "Not captured"))
    # The journal entry is all there is, shown opened.
    journal = browser.find_element(By.ID, "entry-journal")
    assert journal.get_attribute("open") is not None
    assert request_id in browser.find_element(By.ID, "entry-json").text
    browser.get_log("browser")  # the details' 404, as expected
