"""A quality set on the shared `world` of the web and reliability groups (the permission
matrix, CSRF, mass assignment, audit trail, bad input): units A and B made departments, a
set for the departments with two fields, and the stages the routes need (draft, published,
scored, submitted, appraised). Each step commits; ids are kept on the world (`w.q_*`), and
`ids(w)` gives the URL arguments (a missing id where the step has not run)."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from app.extensions import db
from app.models import QualityEvidence, QualityScore, QualitySheet, Unit
from app.quality import commands
from app.settings import current_settings
from app.tasks.evidence import Upload
from tests.conftest import EVIDENCE_PDF, TODAY

MISSING = 999_999
D = Decimal


def draft(w) -> None:
    """A draft set for the departments (A and B): 1 (40) = 1.1 manual 40; 2 (60) = 2.1 from
    tasks 60."""
    db.session.execute(update(Unit).where(Unit.id.in_([w.a.id, w.b.id])).values(kind="department"))
    s = commands.create_set(w.assessor, commands.SetInput(
        "Bộ chỉ số các sở, ban, ngành năm 2026", 2026, "department", D(100)))
    c = {}
    for code, parent, most, method in (("1", None, 40, "manual"), ("1.1", "1", 40, "manual"),
                                       ("2", None, 60, "manual"), ("2.1", "2", 60, "tasks")):
        c[code] = commands.add_criterion(w.assessor, s.id, commands.CriterionInput(
            c[parent] if parent else None, code, f"Tiêu chí {code}", D(most), method)).id
    db.session.commit()
    w.q_set, w.q_c = s.id, c


def published(w) -> None:
    draft(w)
    commands.publish_set(w.assessor, w.q_set)
    db.session.commit()
    w.q_sheet = {u.id: db.session.scalar(select(QualitySheet.id).where(
        QualitySheet.set_id == w.q_set, QualitySheet.unit_id == u.id)) for u in (w.a, w.b)}


def scored(w) -> None:
    """Published, and both heads have scored 1.1 with a PDF."""
    published(w)
    for head, unit in ((w.head, w.a), (w.head_b, w.b)):
        commands.save_self_score(head, w.q_sheet[unit.id], w.q_c["1.1"], commands.SelfScoreInput(
            D(35), "Kế hoạch số 12/KH", [Upload("ke-hoach.pdf", EVIDENCE_PDF)]),
            current_settings().files)
    db.session.commit()
    w.q_evidence = {u.id: db.session.scalar(
        select(QualityEvidence.id).join(QualityScore, QualityScore.id == QualityEvidence.score_id)
        .where(QualityScore.sheet_id == w.q_sheet[u.id])) for u in (w.a, w.b)}


def submitted(w) -> None:
    scored(w)
    for head, unit in ((w.head, w.a), (w.head_b, w.b)):
        commands.submit_sheet(head, w.q_sheet[unit.id], TODAY, current_settings().scoring)
    db.session.commit()


def appraised(w) -> None:
    submitted(w)
    for unit in (w.a, w.b):
        commands.finalize_sheet(w.assessor, w.q_sheet[unit.id])
    db.session.commit()


def asked(w) -> None:
    """Submitted, and the assessor asked unit A for an explanation of 1.1 (by 20/06/2026)."""
    from app.quality import flow

    submitted(w)
    w.q_explanation = flow.ask_explanation(w.assessor, w.q_sheet[w.a.id], flow.AskInput(
        w.q_c["1.1"], "Đề nghị giải trình", TODAY + timedelta(days=5)), TODAY).id
    db.session.commit()


def staged_import(w) -> None:
    """A draft set, and the assessor's preview of a file kept under a token (w.q_token)."""
    from app.quality import setfile

    draft(w)
    parsed = setfile.read("bo-chi-so.xlsx", set_file())
    w.q_token = setfile.store(w.assessor, w.q_set, parsed, "bo-chi-so.xlsx",
                              current_settings().files)


def set_file() -> bytes:
    """A small set's tree as the import reads it."""
    from io import BytesIO

    from openpyxl import Workbook

    from app.quality.setfile import HEADERS

    wb = Workbook()
    ws = wb.active
    ws.append(list(HEADERS))
    ws.append(["1", "Chỉ đạo, điều hành", 100, None, None, None])
    ws.append(["1.1", "Ban hành kế hoạch", 100, "Tự chấm", None, "Có"])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def explanation_id(w) -> int:
    return getattr(w, "q_explanation", MISSING)


def answer_data(w) -> dict:
    return {f"x{explanation_id(w)}-answer": "Đã bổ sung văn bản số 15/BC"}


def draft_data(w=None, points: str = "30") -> dict:
    """The staff's draft form of criterion 1.1."""
    return {"d1_1-points": points, "d1_1-note": "Bản nháp"}


def sheet_id(w, rel: str) -> int:
    """own: unit A's sheet, other: unit B's, missing: none."""
    sheets = getattr(w, "q_sheet", None)
    if rel == "missing" or not sheets:
        return MISSING
    return sheets[(w.a if rel in ("own", "unit") else w.b).id]


def set_id(w, rel: str = "own") -> int:
    return MISSING if rel == "missing" else getattr(w, "q_set", MISSING)


def criterion_id(w, code: str = "1.1") -> int:
    return getattr(w, "q_c", {}).get(code, MISSING)


def evidence_id(w, rel: str) -> int:
    found = getattr(w, "q_evidence", None)
    if rel == "missing" or not found:
        return MISSING
    return found[(w.a if rel in ("own", "unit") else w.b).id]


def ids(w) -> dict:
    """URL arguments for unit A's sheet in the set (missing ids before the set exists)."""
    return {"set_id": set_id(w), "sheet_id": sheet_id(w, "own"), "criterion_id": criterion_id(w),
            "explanation_id": explanation_id(w)}


def self_data(w=None, points: str = "30") -> dict:
    """The self-score form of criterion 1.1 (its fields are named after the code)."""
    return {"s1_1-points": points, "s1_1-note": "Theo báo cáo năm"}


def appraisal_data(w=None, points: str = "30") -> dict:
    return {"a1_1-points": points, "a1_1-reason": "Thiếu một văn bản"}


SET_FORM = {"name": "Bộ chỉ số xã, phường năm 2026", "year": "2026", "unit_group": "commune",
            "max_points": "100"}
CRITERION_FORM = {"parent_id": "", "code": "3", "title": "Tiêu chí thưởng", "max_points": "5",
                  "method": "manual", "plan_kind": ""}
WINDOW_FORM = {"opens_on": "01/06/2026", "closes_on": "30/06/2026"}
ASK_FORM = {"criterion_id": "", "question": "Đề nghị giải trình số liệu", "due_on": "20/06/2026"}
RESULTS_FORM = {"decision_no": "15/QĐ-UBND", "decision_on": "15/06/2026"}
