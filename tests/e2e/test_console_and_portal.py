"""Issue 7's scenario in a real browser: a customer manager signs in, opens My work, fires a transition
through the form generated from its JSON Schema (first with a value the server refuses, seeing the error
beside the field, then correctly) and sees the new state; the customer signs in, sees its progress and the
forecast, and asks a question; the customer manager answers it in the console; the customer sees the answer."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.conftest import check_accessibility_basics, give_password, sign_in, sign_out
from tests.world import World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _project_at_site_survey(world: World) -> dict:
    project = world.new_project(title="Cold store, 10 kV", capacity_kva=630)
    manager = world.owner_of(project)
    return world.fire(project["id"], "accept", manager)["project"]


def test_staff_fires_a_transition_and_customer_gets_an_answer(world: World, new_page, screens) -> None:
    project = _project_at_site_survey(world)
    manager = world.person("customer_manager")
    give_password(world, "cm.pudong", staff_id=manager.id)
    customer = world.customers[0]
    give_password(world, "huahong", customer_id=customer.id)

    # The customer manager signs in and finds the project first on My work.
    staff = new_page()
    staff.goto("/console/")
    screens(staff, "console-sign-in")
    check_accessibility_basics(staff)
    sign_in(staff, "console", "cm.pudong")
    row = staff.locator(f"tr[data-project='{project['number']}']")
    row.wait_for()
    assert "on track" in row.inner_text() and re.search(r"\d+ working days? (\d+ h )?left", row.inner_text())
    screens(staff, "my-work")
    check_accessibility_basics(staff)

    # The project page, and the survey form generated from complete_survey's input schema.
    row.get_by_role("link", name=project["number"]).click()
    state = staff.locator("#current-state")
    assert state.inner_text() == "Site survey"
    action = staff.locator("details[data-action='complete_survey']")
    action.locator(":scope > summary").click()
    form = action.locator("form")
    tomorrow = (datetime.now(SHANGHAI) + timedelta(days=2)).date().isoformat()
    form.get_by_label("Surveyed on").fill(tomorrow)
    form.get_by_label("Findings").fill("Cable route along the east road; the switch room is ready.")
    screens(staff, "project")
    check_accessibility_basics(staff)
    form.get_by_role("button", name="Complete site survey").click()

    # The server refuses a survey date in the future: its error is shown beside that field.
    error = form.locator(".field.invalid", has=staff.get_by_label("Surveyed on")).locator(".field-error")
    error.wait_for()
    assert "may not lie in the future" in error.inner_text()
    assert form.get_by_label("Surveyed on").get_attribute("aria-invalid") == "true"
    assert state.inner_text() == "Site survey"
    screens(staff, "field-error")

    today = datetime.now(SHANGHAI).date().isoformat()
    form.get_by_label("Surveyed on").fill(today)
    form.get_by_role("button", name="Complete site survey").click()
    staff.get_by_text("Done: the project is now at “Supply scheme drafting”.").wait_for()
    assert state.inner_text() == "Supply scheme drafting"
    assert staff.locator("svg .node.current").get_attribute("data-state") == "scheme_drafting"
    screens(staff, "fired")

    # The customer signs in to the portal: progress, forecast, a question.
    cust = new_page()
    sign_in(cust, "portal", "huahong")
    screens(cust, "portal-projects")
    check_accessibility_basics(cust)
    cust.get_by_role("link", name=re.compile(project["number"])).click()
    current = cust.locator("ol.steps li.current")
    current.wait_for()
    assert "Supply scheme drafting" in current.inner_text()
    assert cust.locator("ol.steps li.done").count() >= 2
    # A date, or (no other project's history for the customer's own steps yet) what it depends on, step by step.
    forecast = cust.locator("#forecast-date").inner_text()
    assert re.search(r"\d{4}", forecast) or forecast == "depends on your own steps", forecast
    assert "Supply scheme drafting" in cust.locator(".forecast ul.basis").inner_text()
    cust.get_by_label("Your question").fill("When will the survey report be sent to us?")
    cust.get_by_role("button", name="Ask a question").click()
    cust.get_by_text("Your question was sent").wait_for()
    question = cust.locator("li.question", has_text="When will the survey report be sent to us?")
    assert "awaiting an answer" in question.inner_text()
    screens(cust, "portal-question")
    check_accessibility_basics(cust)

    # The customer manager answers it in the console.
    staff.reload()
    asked = staff.locator("li.question", has_text="When will the survey report be sent to us?")
    asked.get_by_label("Answer to this question").fill("Tomorrow, by e-mail to Gao Ming.")
    asked.get_by_role("button", name="Answer").click()
    staff.get_by_text("Saved.").wait_for()
    assert "answered" in asked.inner_text()
    screens(staff, "answered")

    # The customer sees the answer.
    cust.reload()
    answered = cust.locator("li.question", has_text="When will the survey report be sent to us?")
    answered.locator("blockquote.answer").wait_for()
    assert "Tomorrow, by e-mail to Gao Ming." in answered.inner_text()
    screens(cust, "portal-answer")

    sign_out(staff)
    sign_out(cust)


def test_wrong_password_is_refused_on_the_sign_in_page(world: World, new_page, screens) -> None:
    give_password(world, "cm.pudong", staff_id=world.person("customer_manager").id)
    page = new_page()
    page.goto("/console/")
    page.get_by_label("Login").fill("cm.pudong")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="Wrong login or password.").wait_for()
    screens(page, "wrong-password")


def test_chinese_labels_come_from_the_definitions_and_the_choice_is_remembered(world: World, new_page,
                                                                                 screens) -> None:
    project = _project_at_site_survey(world)
    give_password(world, "cm.pudong", staff_id=world.person("customer_manager").id)
    page = new_page()
    sign_in(page, "console", "cm.pudong")
    page.get_by_role("button", name="中文").click()
    page.get_by_role("heading", name="我的待办").wait_for()
    page.locator(f"tr[data-project='{project['number']}']").get_by_role("link").click()
    assert page.locator("#current-state").inner_text() == "现场勘查"  # the definition's zh label
    page.locator("details[data-action='complete_survey'] > summary").wait_for()
    assert "完成现场勘查" in page.locator("details[data-action='complete_survey'] > summary").inner_text()
    page.locator("details[data-action='complete_survey'] > summary").click()
    form = page.locator("details[data-action='complete_survey'] form")
    assert form.get_by_label("勘查日期").get_attribute("type") == "date"  # the input schema's x-label
    assert form.get_by_label("勘查意见").count() == 1
    screens(page, "project-zh")
    page.reload()
    page.get_by_role("heading", name="办理").wait_for()  # still Chinese after a reload (localStorage)
    assert page.evaluate("localStorage.getItem('bizext.lang')") == "zh"
