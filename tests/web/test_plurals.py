"""English counts agree with their number ("1 task", "2 tasks"); Vietnamese has one form."""
import re


def count_line(html: str) -> str:
    m = re.search(r'id="result-count">([^<]*)<', html)
    assert m, html[:500]
    return m.group(1).strip()


def test_task_counts_are_singular_for_one_and_plural_for_more(world, as_user):
    client = as_user("staff_a")                       # one task: world.task
    assert count_line(client.get("/tasks/mine").get_data(as_text=True)) == "1 nhiệm vụ"
    client.post("/language/en", data={"next": "/tasks/mine"})
    assert count_line(client.get("/tasks/mine").get_data(as_text=True)) == "1 task"

    client = as_user("head_a")                        # task and task2 of unit A
    client.post("/language/en", data={"next": "/tasks"})
    assert count_line(client.get("/tasks").get_data(as_text=True)) == "2 tasks"
