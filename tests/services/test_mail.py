"""Email of notifications through a real SMTP server on 127.0.0.1 (aiosmtpd): one
message per notification in Vietnamese, a digest for those who chose it, never twice,
and retried while the mail server is down.

The world's tasks are due 30/06/2026; the sweep of 01/07/2026 writes the overdue
notices: world.task to staff_a, deputy_a, head_a; world.task2 to staff_a2, head_a;
world.task_b to staff_b, deputy_b, head_b."""

import email
import email.policy
from datetime import UTC, date, datetime

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from app import scheduler
from app.deadlines import sweep as overdue
from app.extensions import db
from app.models import Notification, Task
from app.models.base import utcnow
from app.notifications import mail
from app.settings import current_settings
from tests.conftest import issue_world_plans
from tests.settings_support import override_settings
from tests.support.ports import free_port

SWEEP_DAY = date(2026, 7, 1)
TICK = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội, outside the digest hour


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    @property
    def messages(self):
        return [(e.rcpt_tos, email.message_from_bytes(e.content, policy=email.policy.default))
                for e in self.envelopes]


class SmtpServer:
    def __init__(self, port: int):
        self.port = port
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


@pytest.fixture
def port(app, monkeypatch):
    p = free_port()
    override_settings(monkeypatch, app, MAIL_SERVER="127.0.0.1", MAIL_PORT=p,
                      MAIL_SENDER="sauro@sonoivu.example.vn", BASE_URL="http://sauro.example.vn/")
    return p


@pytest.fixture
def server(port):
    s = SmtpServer(port).start()
    yield s
    s.stop()


@pytest.fixture
def people(world):
    """Addresses: staff_a, deputy_a, staff_b one email each; head_a a daily digest;
    staff_a2 has no address; deputy_b has one but is disabled. Earlier event
    notifications (task assigned...) count as already emailed. The plans are issued: the
    sweep never flags a draft plan's tasks (DESIGN.md 4)."""
    w = world
    issue_world_plans(w)
    for user, addr in ((w.staff, "dang.pv"), (w.deputy, "mai.lt"), (w.head, "hung.tv"),
                       (w.staff_b, "cuong.hv"), (w.deputy_b, "cuc.dt"), (w.head_b, None)):
        user.email = f"{addr}@example.vn" if addr else None
    w.staff2.email = None
    w.head.email_digest = True
    w.deputy_b.is_active = False
    db.session.execute(update(Notification).values(emailed_at=utcnow()))
    db.session.commit()
    return w


def mailed(user_id=None):
    db.session.expire_all()
    q = select(Notification).where(Notification.kind == "overdue").order_by(Notification.id)
    if user_id:
        q = q.where(Notification.user_id == user_id)
    return db.session.scalars(q).all()


def test_one_email_per_notification_then_the_digest_and_never_twice(server, people):
    w = people
    overdue.sweep(SWEEP_DAY, reminders=current_settings().reminders)
    db.session.commit()

    assert mail.send_pending(current_settings().mail) == 3
    db.session.commit()
    got = {tuple(to): msg for to, msg in server.inbox.messages}
    assert set(got) == {("dang.pv@example.vn",), ("mai.lt@example.vn",), ("cuong.hv@example.vn",)}
    msg = got[("dang.pv@example.vn",)]
    assert msg["Subject"] == f"Sáu Rõ: Quá hạn 1 ngày (hạn 30/06/2026): {w.task.title}"
    assert msg["From"] == "sauro@sonoivu.example.vn"
    assert msg["Date"] and msg["Message-ID"].endswith("@sonoivu.example.vn>")
    body = msg.get_content()
    assert body.startswith("Kính gửi Phạm Văn Đăng,\n")
    assert f"- Quá hạn 1 ngày (hạn 30/06/2026): {w.task.title}" in body
    assert f"http://sauro.example.vn/tasks/{w.task.id}" in body
    assert got[("cuong.hv@example.vn",)].get_content().startswith("Kính gửi Hồ Văn Cường,")

    sent = {n.user_id for n in mailed() if n.emailed_at is not None}
    assert sent == {w.staff.id, w.deputy.id, w.staff_b.id}
    assert all(n.emailed_at is None for n in mailed(w.head.id) + mailed(w.staff2.id) + mailed(w.deputy_b.id))

    # The digest: one email with both of head_a's notices.
    assert mail.send_pending(current_settings().mail, digest=True) == 1
    db.session.commit()
    to, digest = server.inbox.messages[-1]
    assert to == ["hung.tv@example.vn"]
    assert digest["Subject"] == "Sáu Rõ: 2 thông báo mới"
    body = digest.get_content()
    assert body.startswith("Kính gửi Trần Văn Hùng,\n")
    assert body.count("- Quá hạn 1 ngày (hạn 30/06/2026): ") == 2
    assert f"/tasks/{w.task.id}" in body and f"/tasks/{w.task2.id}" in body
    assert all(n.emailed_at is not None for n in mailed(w.head.id))

    # Nothing is sent twice.
    assert mail.send_pending(current_settings().mail) == 0 and mail.send_pending(current_settings().mail, digest=True) == 0
    db.session.commit()
    assert len(server.inbox.envelopes) == 4
    assert all(n.email_attempts == 0 for n in mailed())


def test_with_the_mail_server_down_the_sweep_still_flags_and_mail_waits(app, port, people):
    w = people
    db.session.commit()
    scheduler.sweep_job(app, now=TICK)  # the whole tick: sweep, then mail (refused)
    flagged = set(db.session.scalars(select(Task.id).where(Task.overdue_flagged_at.is_not(None))))
    assert flagged == {w.task.id, w.task2.id, w.task_b.id}
    waiting = [n for n in mailed() if n.user_id in (w.staff.id, w.deputy.id, w.staff_b.id)]
    assert len(waiting) == 3
    assert all(n.emailed_at is None and n.email_attempts == 1 for n in waiting)

    db.session.commit()
    assert mail.send_pending(current_settings().mail) == 0
    db.session.commit()
    assert all(n.emailed_at is None and n.email_attempts == 2 for n in mailed()
               if n.user_id in (w.staff.id, w.deputy.id, w.staff_b.id))
    assert all(n.email_attempts == 0 for n in mailed(w.staff2.id) + mailed(w.head.id))

    server = SmtpServer(port).start()  # the server is back
    try:
        db.session.commit()
        scheduler.sweep_job(app, now=TICK.replace(hour=2))  # the next tick
        assert sorted(to[0] for to, _ in server.inbox.messages) == [
            "cuong.hv@example.vn", "dang.pv@example.vn", "mai.lt@example.vn"]
        assert all(n.emailed_at is not None and n.email_attempts == 2 for n in mailed()
                   if n.user_id in (w.staff.id, w.deputy.id, w.staff_b.id))
    finally:
        server.stop()


def test_without_a_mail_server_nothing_is_attempted(app, people, monkeypatch):
    override_settings(monkeypatch, app, MAIL_SERVER=None)
    overdue.sweep(SWEEP_DAY, reminders=current_settings().reminders)
    assert mail.send_pending(current_settings().mail) == 0
    db.session.commit()
    assert all(n.emailed_at is None and n.email_attempts == 0 for n in mailed())


def test_each_email_is_in_its_recipients_language_and_a_return_says_why(server, people):
    """Issue 17: notifications and emails in the recipient's language; a returned task's
    email carries the reason."""
    w = people
    w.deputy.locale = "en"
    db.session.commit()
    overdue.sweep(SWEEP_DAY, reminders=current_settings().reminders)
    overdue.notify([w.staff_b.id], "returned", w.task_b.id, "returned:test",
                   message="Thiếu biên bản nghiệm thu")
    db.session.commit()
    assert mail.send_pending(current_settings().mail) == 4
    db.session.commit()
    got = {}
    for to, msg in server.inbox.messages:
        got.setdefault(to[0], []).append(msg)
    (english,) = got["mai.lt@example.vn"]
    assert english["Subject"] == f"Sáu Rõ: Overdue by 1 day (due 30/06/2026): {w.task.title}"
    assert english.get_content().startswith("Dear Lê Thị Mai,")
    (vi,) = got["dang.pv@example.vn"]
    assert vi["Subject"].startswith("Sáu Rõ: Quá hạn 1 ngày")
    returned = [m for m in got["cuong.hv@example.vn"] if "Thiếu biên bản" in m.get_content()]
    assert len(returned) == 1
    assert "Lý do: Thiếu biên bản nghiệm thu" in returned[0].get_content()
