import pytest
@pytest.mark.parametrize("i", range(20))
def test_x(world, as_user, i):
    c = as_user("staff_a")
    assert c.get(f"/tasks/{world.task.id}").status_code == 200
