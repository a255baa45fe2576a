"""A high-voltage project from application to energization entirely through the console, each stage's
owner signing in in turn and filling the form generated for it (nested objects, a growing list, a select, a
checkbox, a date and an instant); then the customer sees it energized and rates the service."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.conftest import give_password, sign_in, sign_out
from tests.world import World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def fire(page: Any, action: str, destination: str, fill: Any = None) -> None:
    """Open the action's form (the only one open to the caller is open already), fill it, submit it, and
    wait for the project to be at `destination`."""
    details = page.locator(f"details[data-action='{action}']")
    details.wait_for(state="attached")
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()
    form = details.locator("form")
    if fill:
        fill(form)
    form.locator(":scope > button[type=submit]").click()
    page.get_by_text(f"Done: the project is now at “{destination}”.").wait_for()
    assert page.locator("#current-state").inner_text() == destination


def test_a_project_goes_from_application_to_energization_through_the_console(world: World, new_page,
                                                                               screens) -> None:
    project = world.new_project(title="Cold store, 10 kV single supply", capacity_kva=630)
    url = f"/console/projects/{project['id']}"
    logins = {"customer_manager": "cm", "inspector": "inspector", "metering_technician": "metering"}
    for role, login in logins.items():
        give_password(world, login, staff_id=world.person(role).id)
    give_password(world, "huahong", customer_id=world.customers[0].id)
    page = new_page()
    today = datetime.now(SHANGHAI).date().isoformat()

    sign_in(page, "console", "cm")
    page.goto(url)
    fire(page, "accept", "Site survey")
    fire(page, "complete_survey", "Supply scheme drafting", lambda f: (
        f.get_by_label("Surveyed on").fill(today), f.get_by_label("Findings").fill("Switch room ready.")))

    def scheme(f: Any) -> None:
        f.get_by_label("Voltage (kV)").fill("10")
        f.get_by_label("Capacity (kVA)").fill("630")
        f.get_by_label("Substation").fill("110 kV Zhangjiang")
        f.get_by_label("Feeder").fill("Zhang 12")
        f.get_by_label("Metering method").select_option("high_supply_low_metering")
        f.get_by_label("Reply document number").fill("PD-GD-2026-031")
    fire(page, "reply_scheme", "Customer construction", scheme)
    screens(page, "customer-construction")
    # The customer's own stage: its customer manager acts on its behalf (一口对外).
    page.locator("details[data-action='request_completion_inspection'] > summary").click()
    assert page.locator("details[data-action='request_completion_inspection']").get_attribute("open") is not None
    assert "on behalf of the customer" in page.locator("details[data-action='request_completion_inspection']").inner_text()
    fire(page, "request_completion_inspection", "Completion inspection")
    assert page.get_by_text("Only Inspector of Pudong may do this now").count() >= 1
    sign_out(page)

    sign_in(page, "console", "inspector")
    page.goto(url)
    fire(page, "pass_completion", "Contract signing and fee settlement")
    sign_out(page)

    sign_in(page, "console", "cm")
    page.goto(url)
    fire(page, "sign_contract", "Metering and energization", lambda f: (
        f.get_by_label("Contract number").fill("GYD-2026-0101"), f.get_by_label("Fees settled").check()))
    sign_out(page)

    sign_in(page, "console", "metering")
    page.goto(url)

    def meters(f: Any) -> None:
        f.get_by_role("button", name=re.compile("^Add")).click()  # a second meter: the list grows
        items = f.locator("fieldset[data-pointer='/input/meter_ids'] input")
        items.nth(0).fill("3100012345")
        items.nth(1).fill("3100012346")
        at = datetime.now(SHANGHAI) - timedelta(minutes=5)
        f.get_by_label("Energized at").fill(at.strftime("%Y-%m-%dT%H:%M"))
    fire(page, "energize", "Energized", meters)
    assert page.locator("svg .node.current").get_attribute("data-state") == "energized"
    history = page.locator("ol.timeline").inner_text()
    assert "energize" in history and "pass_completion" in history
    fired = world.ok(world.client.get(f"/v1/projects/{project['id']}/transitions", headers=world.admin.headers))
    assert [t["name"] for t in fired] == ["accept", "complete_survey", "reply_scheme",
                                          "request_completion_inspection", "pass_completion", "sign_contract",
                                          "energize"]
    assert fired[-1]["input"]["meter_ids"] == ["3100012345", "3100012346"]
    assert fired[3]["capacity"] == "on_behalf_of_customer"
    screens(page, "energized")

    cust = new_page()
    sign_in(cust, "portal", "huahong")
    cust.goto(f"/portal/projects/{project['id']}")
    cust.get_by_role("heading", name="Energized on").wait_for()
    cust.get_by_label("Satisfaction").select_option("5")
    cust.get_by_role("button", name="Rate our service").click()
    cust.get_by_text("Thank you for your rating.").wait_for()
    screens(cust, "rated")
