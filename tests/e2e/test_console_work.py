"""The rest of the console: keyboard-only firing, escalations acknowledged with a note, holds placed and
released, an owner reassigned, and the managers' dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.e2e.conftest import check_accessibility_basics, give_password, sign_in
from tests.world import World


def focused(page: Any) -> str:
    return page.evaluate("() => (document.activeElement.textContent || '').trim()")


def tab_to(page: Any, text: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page).startswith(text):
            return
    raise AssertionError(f"{text!r} is not reachable with Tab")


def test_an_action_is_reachable_and_fired_with_the_keyboard_alone(world: World, new_page, screens) -> None:
    project = world.new_project()
    give_password(world, "cm", staff_id=world.person("customer_manager").id)
    page = new_page()
    sign_in(page, "console", "cm")
    page.goto(f"/console/projects/{project['id']}")
    page.locator("#current-state").wait_for()
    check_accessibility_basics(page)
    tab_to(page, "Accept application")  # the action's summary
    page.keyboard.press("Enter")  # opens it
    tab_to(page, "Accept application")  # its submit button
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.get_by_text("Done: the project is now at “Site survey”.").wait_for()
    screens(page, "keyboard-fired")


def test_a_project_manager_acknowledges_an_escalation_and_sees_the_dashboard(world: World, new_page,
                                                                             screens) -> None:
    late = world.new_project(received_at=(datetime.now().astimezone() - timedelta(days=8)).isoformat())
    sweep = world.ok(world.client.post("/v1/escalation-checks", headers=world.admin.headers))
    assert any(e["project_id"] == late["id"] and e["level"] == 1 for e in sweep["raised"])
    give_password(world, "pm", staff_id=world.person("project_manager").id)
    page = new_page()
    sign_in(page, "console", "pm")
    page.get_by_role("link", name="Escalations").click()
    item = page.locator("li.escalation", has_text=late["number"]).first
    item.wait_for()
    screens(page, "escalations")
    check_accessibility_basics(page)
    item.get_by_label("Note").fill("Called the customer manager; accepting today.")
    item.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("Acknowledged.").wait_for()
    acknowledged = world.ok(world.client.get("/v1/escalations", params={"project_id": late["id"], "level": 1},
                                             headers=world.admin.headers))["items"]
    assert acknowledged[0]["status"] == "acknowledged"
    assert acknowledged[0]["note"] == "Called the customer manager; accepting today."

    page.get_by_role("link", name="Dashboard").click()
    for chart in ("chart-state", "chart-region", "chart-owner", "chart-met", "chart-connection"):
        page.locator(f"section[data-chart='{chart}']").wait_for()
    page.locator("section[data-chart='chart-state'] canvas").wait_for()
    page.wait_for_function("() => !!window.Chart")
    region = page.locator("section[data-chart='chart-region']")
    region.get_by_text("Table").click()
    assert "pudong" in region.locator("table").inner_text()
    screens(page, "dashboard")
    check_accessibility_basics(page)


def test_holds_are_placed_and_released_and_an_owner_is_reassigned(world: World, new_page, screens) -> None:
    project = world.new_project()
    give_password(world, "pm", staff_id=world.person("project_manager").id)
    page = new_page()
    sign_in(page, "console", "pm")
    page.goto(f"/console/projects/{project['id']}")
    page.get_by_text("Place a hold").first.click()
    page.get_by_label("Reason", exact=True).first.fill("Waiting for the landlord's consent")
    page.get_by_label("Whose wait").select_option("external")
    page.get_by_role("button", name="Place a hold").click()
    page.get_by_text("Saved.").wait_for()
    assert page.locator("#h-holds + ul li").first.inner_text().startswith("paused")
    page.get_by_role("button", name="Release: Waiting for the landlord's consent").click()
    page.locator("#h-holds + ul li", has_text="released").wait_for()

    other = world.person("customer_manager", "minhang")
    page.locator("#h-reassign + details > summary").click()
    page.get_by_label("New owner").select_option(other.id)
    page.locator("#reassign-reason").fill("Covering for a colleague on leave")
    page.get_by_role("button", name="Reassign the current stage").click()
    page.get_by_text("Reassigned.").wait_for()
    assert "Customer Manager of Minhang" in page.locator(".state-line").inner_text()
    screens(page, "held-and-reassigned")
