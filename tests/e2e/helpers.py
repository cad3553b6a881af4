"""Helpers of the browser tests: the seed data, the live server's handle, login,
screenshots and the overflow check. The fixtures are in conftest.py."""

import os
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from app.extensions import db
from app.settings import current_settings
from config import BASE_DIR
from tests.conftest import EVIDENCE_PDF, PASSWORD, Factory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOT_DIR = BASE_DIR / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# Sub-pixel rounding may add a pixel or two; anything more is a real overflow.
OVERFLOW_SLACK = 2


# ---------------------------------------------------------------- seed data

def seed(make: Factory) -> SimpleNamespace:
    """The `world` of tests/conftest.py plus what the journeys need; returns ids only."""
    from app.models import Plan
    from app.tasks import commands as tasks
    from app.tasks import evidence
    from app.tasks.commands import StepInput

    province = make.unit("UBND tỉnh Đắk Lắk", code="P66")
    a = make.unit("Sở Nội vụ", parent=province, code="SNV")
    b = make.unit("Sở Khoa học và Công nghệ", parent=province, code="SKHCN")
    make.user(province, "admin", "Quản Trị Viên", "admin")
    make.user(province, "assessor", "Đánh Giá Viên", "assessor")
    head = make.user(a, "head", "Trần Văn Hùng", "head_a")
    deputy = make.user(a, "deputy", "Lê Thị Mai", "deputy_a")
    staff = make.user(a, "staff", "Phạm Văn Đăng", "staff_a")
    staff2 = make.user(a, "staff", "Ngô Thị Lan", "staff_a2")
    # Only the language test logs in as this one: its saved locale changes.
    make.user(a, "staff", "Nguyễn Thị Ánh Tuyết", "lang_a")
    head_b = make.user(b, "head", "Võ Văn Bình", "head_b")
    deputy_b = make.user(b, "deputy", "Đỗ Thị Cúc", "deputy_b")
    staff_b = make.user(b, "staff", "Hồ Văn Cường", "staff_b")

    plan = make.plan(a, title="Kế hoạch cải cách hành chính năm 2026")
    plan.doc_number, plan.doc_date = "15/KH-SNV", date(2026, 1, 10)
    digital = Plan(unit_id=a.id, year=2026, kind="digital", title="Kế hoạch chuyển đổi số năm 2026")
    db.session.add(digital)
    db.session.commit()
    plan_b = make.plan(b)

    steps3 = [StepInput("Rà soát danh mục thủ tục hành chính", date(2026, 2, 15)),
              StepInput("Cập nhật quy trình nội bộ", date(2026, 4, 30)),
              StepInput("Công khai trên Cổng dịch vụ công", date(2026, 6, 20))]
    # Clear tasks: the staff journey, the review journey, and the rest of the plan.
    report = make.task(plan, head, a, staff, deputy,
                       title="Cập nhật, công khai thủ tục hành chính trên Cổng dịch vụ công",
                       steps=steps3, indicator_name="Số thủ tục được công khai",
                       indicator_unit="thủ tục", indicator_target=Decimal(120))
    index = make.task(plan, head, a, staff, deputy)   # "Xây dựng bộ chỉ số ..."
    make.task(plan, head, a, staff, deputy, parent=index,
              title="Dự thảo bộ chỉ số đánh giá chất lượng hoạt động", due_on=date(2026, 5, 31))
    digitize = make.task(plan, head, a, staff2, head,
                         title="Số hóa hồ sơ thủ tục hành chính còn hiệu lực",
                         indicator_name="Tỷ lệ hồ sơ được số hóa", indicator_unit="%",
                         indicator_target=Decimal(100))
    confirm = make.task(plan, head, a, staff2, deputy,
                        title="Tổ chức hội nghị tập huấn nghiệp vụ cải cách hành chính",
                        output_product="Báo cáo kết quả hội nghị tập huấn")
    give_back = make.task(plan, head, a, staff2, deputy,
                          title="Khảo sát mức độ hài lòng của người dân, tổ chức",
                          output_product="Báo cáo kết quả khảo sát")
    # Unclear tasks: the plan cannot be issued while they are there.
    generic = make.task(plan, head, None, None, deputy, title="Tăng cường công tác cải cách hành chính",
                        description="", steps=[], output_product="")
    no_leader = make.task(plan, head, a, staff, None,
                          title="Rà soát, đánh giá thủ tục hành chính thuộc thẩm quyền",
                          responsibility="", due_on=None)
    # Two submissions dated 10/06, five days before "today": the completion date is
    # the submission date, not the day the leader confirms.
    for t in (confirm, give_back):
        update = tasks.record_progress(staff2, t.id, 100, "Đã hoàn thành các bước.", None,
                                       date(2026, 6, 10))
        # a task is submitted with evidence (DESIGN.md 4)
        evidence.store(staff2, t, [evidence.Upload(f"{t.output_product}.pdf", EVIDENCE_PDF)], update.id, current_settings().files)
        tasks.submit_task(staff2, t.id, "Đề nghị lãnh đạo xác nhận hoàn thành.", date(2026, 6, 10))
    db.session.commit()
    make.task(plan_b, head_b, b, staff_b, deputy_b)

    return SimpleNamespace(
        province=province.id, a=a.id, b=b.id, head=head.id, deputy=deputy.id, staff=staff.id,
        staff2=staff2.id, plan=plan.id, digital=digital.id, plan_b=plan_b.id,
        report=report.id, index=index.id, digitize=digitize.id, confirm=confirm.id,
        give_back=give_back.id, generic=generic.id, no_leader=no_leader.id,
        plan_total=8, plan_clear=6, submitted_on=date(2026, 6, 10))


def issue_seed_plans(live) -> None:
    """Unit A's plan and unit B's, issued (committed): a draft plan's tasks are never overdue
    nor scored (DESIGN.md 4). Straight to the column: the seed's plan holds unclear tasks on
    purpose (the plan journeys), and the journeys that call this are not about issuing."""
    from sqlalchemy import update

    from app.models import Plan

    def issue():
        db.session.execute(update(Plan).where(Plan.id.in_([live.ids.plan, live.ids.plan_b]))
                           .values(status="issued"))
        db.session.commit()
    live.query(issue)


# ---------------------------------------------------------------- live server

class Live:
    """The running server: its address, the app (for translations and checks) and the seed ids."""

    def __init__(self, app, url: str, ids: SimpleNamespace):
        self.app, self.url, self.ids = app, url, ids

    def tr(self, msgid: str, locale: str = "vi", plural: str | None = None, num: int | None = None,
           **kw) -> str:
        """A message as the interface shows it in `locale` (whatever the catalogs hold); with
        `plural` and `num`, the form of a counted message (ngettext)."""
        from flask_babel import force_locale, gettext, ngettext

        with self.app.test_request_context(), force_locale(locale):
            return gettext(msgid, **kw) if plural is None else ngettext(msgid, plural, num, **kw)

    def query(self, fn):
        """Run `fn()` in an app context on a fresh session: read what the browser did."""
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()


def login(page, live: Live, username: str, password: str = PASSWORD) -> None:
    page.goto(live.url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert not page.url.rstrip("/").endswith("/login"), page.locator("main").inner_text()


def shot(page, name: str) -> None:
    """Save a full-page PNG to docs/screenshots/ when SAURO_SCREENSHOTS=1."""
    if os.environ.get("SAURO_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.mouse.move(0, 0)   # no hover effect left over from the last click
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)


def assert_no_horizontal_overflow(page) -> None:
    """The page body fits the viewport; wide tables may scroll inside .table-responsive."""
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll <= width + OVERFLOW_SLACK:
        return
    culprits = page.evaluate("""(limit) => {
        const out = [];
        for (const el of document.body.querySelectorAll('*')) {
            if (el.closest('.table-responsive')) continue;
            const r = el.getBoundingClientRect();
            if (r.right > limit) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                ' right=' + Math.round(r.right));
        }
        return out.slice(0, 15);
    }""", width + OVERFLOW_SLACK)
    raise AssertionError(f"{page.url}: scrollWidth {scroll} > {width}; overflowing: {culprits}")
