def test_admin_creates_a_project_that_lands_in_application_review_with_its_customer_manager(world):
    project = world.new_project()
    assert project["state"] == "application_review"
    assert project["workflow"] == {"key": "hv-standard", "version": 1}
    assert project["owner"]["id"] == world.person("customer_manager").id
    assert project["number"].startswith("BX2026-")
