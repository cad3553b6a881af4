"""The demo's sample indicator sets (issue 13 point 7): one for the departments and one for
the communes and wards, labelled as samples, published, with units at each stage of the
workflow — Sở Khoa học và Công nghệ appraised, Sở Nội vụ submitted (self-assessed), Văn
phòng UBND tỉnh submitted and asked for an explanation, phường Buôn Ma Thuột scoring itself
(a staff draft and the head's scores), every other unit not started, all inside an open
entry window — and last year's set for the departments with its results published (the
units that never submitted appraised as they stood at the cut-off). Everything goes through
the use cases, as a user's clicks would."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models import Field, QualitySheet, User
from app.quality import commands, flow
from app.settings import Settings
from app.tasks.evidence import Upload

D = Decimal
# A one-page PDF: the evidence of the sample scores.
SAMPLE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
              b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
              b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
              b"trailer<</Root 1 0 R>>\n%%EOF\n")

# The field (lĩnh vực) of a leaf counted from its tasks only (province.toml's `cqso`).
FIELD_CQSO = "Xây dựng chính quyền điện tử, chính quyền số"

# code, parent code, title, max points, method, plan kind, evidence required, and the
# method's parameters (docs/quality.md: one leaf of each method)
TREE = (
    ("1", None, "Công tác chỉ đạo, điều hành; kỷ luật, kỷ cương hành chính", D(30), "manual", None, False, {}),
    ("1.1", "1", "Ban hành kế hoạch công tác năm đúng thời hạn", D(10), "manual", None, True, {}),
    ("1.2", "1", "Chấp hành kỷ luật, kỷ cương hành chính (trừ 2 điểm mỗi vi phạm được kết luận)",
     D(10), "deduction", None, False, {"event_kind": "entered", "per_event": D(2)}),
    ("1.3", "1", "Trách nhiệm của người đứng đầu", D(10), "manual", None, False, {}),
    ("2", None, "Kết quả thực hiện nhiệm vụ được giao", D(60), "manual", None, False, {}),
    ("2.1", "2", "Nhiệm vụ UBND tỉnh, Chủ tịch UBND tỉnh giao (tính từ hệ thống)", D(20), "tasks", None, False, {}),
    ("2.2", "2", ("Kế hoạch cải cách hành chính năm: từ 90% được 15 điểm, từ 70% được 10, "
                  "từ 50% được 5 (tính từ hệ thống)"), D(15), "stepped", "cchc", False,
     {"basis": "tasks", "steps": "90:15;70:10;50:5;0:0"}),
    ("2.3", "2", "Nhiệm vụ quá hạn chưa hoàn thành: trừ 1 điểm mỗi nhiệm vụ (tính từ hệ thống)",
     D(15), "deduction", None, False, {"event_kind": "overdue", "per_event": D(1)}),
    # A leaf of one field: the deputy in charge of it is rated on it (DESIGN.md 8).
    ("2.4", "2", "Nhiệm vụ xây dựng chính quyền điện tử, chính quyền số (tính từ hệ thống)",
     D(10), "tasks", None, False, {"field": FIELD_CQSO}),
    ("3", None, "Chỉ tiêu phát triển kinh tế - xã hội được giao", D(10), "manual", None, False, {}),
    ("3.1", "3", "Đạt và vượt các chỉ tiêu được giao (tỷ lệ đạt bình quân các chỉ tiêu của nhiệm vụ)",
     D(10), "targets", None, False, {}),
    ("T", None, "Điểm thưởng: sáng kiến, mô hình mới, khen thưởng cấp trên (tối đa 5 điểm)",
     D(5), "bonus", None, False, {}),
)

# group, set title; then per unit: its head's username, manual scores (a whole number: the
# violations declared on 1.2), whether it submits, whether it is appraised
SETS = (
    ("department", "các sở, ban, ngành", (
        ("gd.skhcn", {"1.1": D(10), "1.2": 0, "1.3": D(9), "T": D(2)}, True, True),
        ("gd.snv", {"1.1": D(10), "1.2": 1, "1.3": D(9)}, True, False),
        ("cvp.vpubnd", {"1.1": D(10), "1.2": 0, "1.3": D(10)}, True, False),
    )),
    ("commune", "các xã, phường", (
        ("ct.buonmathuot", {"1.1": D(9), "1.2": 1}, False, False),
    )),
)


def _user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def seed(today: date, settings: Settings) -> None:
    """Create, publish and walk the sample sets (flushed; the caller commits)."""
    assessor = _user("danhgia")
    if assessor is None:
        return
    for group, title, stages in SETS:
        _seed_set(assessor, group, title, stages, today, settings)
    _seed_published(assessor, today, settings)


def _add_tree(assessor: User, set_id: int, ids: dict[str, int]) -> None:
    """The sample tree; a leaf's field is named (the province-wide field of that name)."""
    for code, parent, name, most, method, kind, evidence, params in TREE:
        params = dict(params)
        if "field" in params:
            params["field_id"] = db.session.scalar(select(Field.id).where(
                Field.name == params.pop("field"), Field.unit_id.is_(None)))
        ids[code] = commands.add_criterion(assessor, set_id, commands.CriterionInput(
            ids.get(parent) if parent else None, code, name, most, method, kind, evidence,
            **params)).id


def _seed_set(assessor: User, group: str, title: str, stages, today: date,
              settings: Settings) -> None:
    s = commands.create_set(assessor, commands.SetInput(
        f"[Mẫu] Bộ chỉ số đánh giá chất lượng hoạt động {title} năm {today.year}",
        today.year, group, D(100)))
    ids: dict[str, int] = {}
    _add_tree(assessor, s.id, ids)
    commands.publish_set(assessor, s.id)
    # The entry window: opened two weeks ago, cut-off in two weeks.
    flow.set_window(assessor, s.id, flow.WindowInput(today - timedelta(days=14),
                                                     today + timedelta(days=14)), today)
    for head_name, scores, submits, appraised in stages:
        head = _user(head_name)
        sheet_id = head and db.session.scalar(select(QualitySheet.id).where(
            QualitySheet.set_id == s.id, QualitySheet.unit_id == head.unit_id))
        if not sheet_id:
            continue
        for code, points in scores.items():
            files = [Upload(f"minh-chung-{code}.pdf", SAMPLE_PDF)] if code == "1.1" else []
            events = points if isinstance(points, int) else None
            commands.save_self_score(head, sheet_id, ids[code], commands.SelfScoreInput(
                None if events is not None else points,
                "Theo báo cáo kết quả năm của đơn vị (dữ liệu mẫu).", files, events), settings.files,
                today)
        staff = _user("cc.buonmathuot1") if head_name == "ct.buonmathuot" else None
        if staff is not None and staff.unit_id == head.unit_id:
            flow.save_draft(staff, sheet_id, ids["1.3"], commands.SelfScoreInput(
                D(9), "Bản nháp của chuyên viên, chờ Chủ tịch phê duyệt (dữ liệu mẫu).", []),
                settings.files, today)
        if submits:
            commands.submit_sheet(head, sheet_id, today, settings.scoring)
        if head_name == "cvp.vpubnd":
            flow.ask_explanation(assessor, sheet_id, flow.AskInput(
                ids["1.3"], "Đề nghị giải trình căn cứ tự chấm tối đa 10 điểm tiêu chí 1.3 khi "
                "còn văn bản chậm trả lời (dữ liệu mẫu).", today + timedelta(days=7)), today)
        if appraised:
            commands.appraise_score(assessor, sheet_id, ids["1.3"], commands.AppraisalInput(
                D(8), "Còn 01 văn bản chậm trả lời theo yêu cầu của UBND tỉnh (dữ liệu mẫu)."))
            commands.finalize_sheet(assessor, sheet_id, today)


def _seed_published(assessor: User, today: date, settings: Settings) -> None:
    """Last year's set for the departments, results published: two units submitted before
    the cut-off (31/12), the others were appraised as they stood when it was frozen."""
    year = today.year - 1
    s = commands.create_set(assessor, commands.SetInput(
        f"[Mẫu] Bộ chỉ số đánh giá chất lượng hoạt động các sở, ban, ngành năm {year}",
        year, "department", D(100)))
    ids: dict[str, int] = {}
    _add_tree(assessor, s.id, ids)
    commands.publish_set(assessor, s.id)
    opened = date(year, 12, 1)
    flow.set_window(assessor, s.id, flow.WindowInput(opened, date(year, 12, 31)), opened)
    scored = {"gd.skhcn": D(9), "gd.snv": D(8)}
    for head_name, points in scored.items():
        head = _user(head_name)
        sheet_id = head and db.session.scalar(select(QualitySheet.id).where(
            QualitySheet.set_id == s.id, QualitySheet.unit_id == head.unit_id))
        if not sheet_id:
            continue
        on = date(year, 12, 20)
        # the self-assessed criteria (1.2: the violations declared, none)
        for code, value in (("1.1", points), ("1.2", 0), ("1.3", points)):
            files = [Upload(f"minh-chung-{code}.pdf", SAMPLE_PDF)] if code == "1.1" else []
            events = value if isinstance(value, int) else None
            commands.save_self_score(head, sheet_id, ids[code], commands.SelfScoreInput(
                None if events is not None else value,
                "Theo báo cáo kết quả năm của đơn vị (dữ liệu mẫu).", files, events),
                settings.files, on)
        commands.submit_sheet(head, sheet_id, on, settings.scoring)
    flow.freeze_at_cutoff(s, date(year + 1, 1, 1), settings.scoring)
    for sheet_id in db.session.scalars(select(QualitySheet.id).where(QualitySheet.set_id == s.id)):
        commands.finalize_sheet(assessor, sheet_id, today)
    commands.publish_results(assessor, s.id, commands.PublishInput(
        "25/QĐ-UBND", min(today, date(year + 1, 1, 20))), today)
