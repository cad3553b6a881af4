"""Every main page renders for the people who use it."""


def test_head_sees_plan_with_badges(world, as_user):
    c = as_user("head_a")
    for url in ["/", "/plans", f"/plans/{world.plan.id}", "/tasks", "/tasks/mine",
                f"/tasks/{world.task.id}", f"/tasks/{world.task.id}/edit",
                f"/plans/{world.plan.id}/tasks/new"]:
        resp = c.get(url)
        assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:3000])
    html = c.get(f"/plans/{world.plan.id}").get_data(as_text=True)
    assert html.count('data-clear="') == 12
