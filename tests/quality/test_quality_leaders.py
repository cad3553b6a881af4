"""Heads' and deputies' quality results beside their task score (DESIGN.md 8, issue 13
point 5): the head's is the unit's total; a deputy's is over the criteria mapped to the
fields they are in charge of, rescaled to the set's maximum. Shown on the assessment's
tables, the leader's page, and in the assessment export."""

from decimal import Decimal
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import insert, update

from app.assessment import export as ex
from app.extensions import db
from app.models import Criterion, Field, Task
from app.models.user import user_fields
from app.quality import commands
from app.quality import queries as quality
from app.settings import current_settings
from app.tasks.evidence import Upload
from tests.conftest import EVIDENCE_PDF, TODAY
from tests.quality.conftest import sheet_of

D = Decimal
Q2 = "period=2026-Q2&as_of=15/06/2026"


def _fields(w):
    """Field "Kinh tế" holds A's tasks task (on time) and task2 (late); criterion 2.1 (from
    tasks, 50) reads only that field; the deputy of A is in charge of it."""
    f = Field(name="Kinh tế", name_sort="kinh te")
    db.session.add(f)
    db.session.flush()
    db.session.execute(update(Task).where(Task.id.in_([w.task.id, w.task2.id])).values(field_id=f.id))
    db.session.execute(update(Criterion).where(Criterion.id == w.c["2.1"].id).values(field_id=f.id))
    db.session.execute(insert(user_fields).values(user_id=w.deputy.id, field_id=f.id))
    db.session.commit()
    return f


def _submit(w):
    commands.publish_set(w.assessor, w.set.id)
    db.session.commit()
    sheet = sheet_of(w, w.a)
    files = current_settings().files
    commands.save_self_score(w.head, sheet.id, w.c["1.1"].id, commands.SelfScoreInput(
        D(8), "KH số 12", [Upload("ke-hoach.pdf", EVIDENCE_PDF)]), files, TODAY)
    commands.save_self_score(w.head, sheet.id, w.c["1.2"].id, commands.SelfScoreInput(
        D(15), "", []), files, TODAY)
    commands.submit_sheet(w.head, sheet.id, TODAY, current_settings().scoring)
    db.session.commit()
    return sheet


def test_the_head_has_the_units_total_and_a_deputy_the_total_of_their_fields(qworld):
    w = qworld
    _fields(w)
    scoring = current_settings().scoring
    # Published but open: nothing is frozen yet, so no figure.
    commands.publish_set(w.assessor, w.set.id)
    db.session.commit()
    units, leaders = quality.leader_results(w.assessor, 2026, [w.a.id], [w.head.id, w.deputy.id],
                                            scoring)
    assert units[w.a.id].points is None and units[w.a.id].status == "open"
    assert leaders[w.deputy.id].points is None
    db.session.rollback()


def test_results_once_submitted_then_appraised(qworld):
    w = qworld
    _fields(w)
    sheet = _submit(w)
    scoring = current_settings().scoring
    units, leaders = quality.leader_results(w.assessor, 2026, [w.a.id, w.b.id],
                                            [w.head.id, w.deputy.id, w.deputy_b.id], scoring)
    unit = units[w.a.id]
    # 8 + 15 + 2.1 (field only: on time 1 + late 0.75 of 2 → 87.5% of 50 = 43.75) + 2.2
    # (the CCHC plan's task and task2: 87.5% of 20 = 17.5) = 84.25, as the ranking says.
    assert unit.points == D("84.25") and not unit.is_appraised
    ranked = {r.unit_id: r for r in quality.sheets(w.set, scoring)}
    assert ranked[w.a.id].self_total == unit.points
    assert leaders[w.head.id] == unit
    deputy = leaders[w.deputy.id]
    assert deputy.criteria == 1 and deputy.points == D("87.50")     # 43.75 / 50 × 100
    assert deputy.sheet_id == sheet.id
    # B's deputy: B's sheet is still open.
    assert leaders[w.deputy_b.id].points is None and leaders[w.deputy_b.id].status == "open"
    # A deputy of A without fields: no criterion counts.
    db.session.execute(user_fields.delete().where(user_fields.c.user_id == w.deputy.id))
    db.session.commit()
    _, leaders = quality.leader_results(w.assessor, 2026, [], [w.deputy.id], scoring)
    assert leaders[w.deputy.id].points is None and leaders[w.deputy.id].criteria == 0


def test_the_appraised_figure_is_shown_to_the_unit_only_once_published(qworld):
    w = qworld
    _fields(w)
    sheet = _submit(w)
    commands.appraise_score(w.assessor, sheet.id, w.c["1.2"].id, commands.AppraisalInput(
        D(5), "Thiếu văn bản"))
    commands.finalize_sheet(w.assessor, sheet.id)
    db.session.commit()
    scoring = current_settings().scoring
    units, _ = quality.leader_results(w.assessor, 2026, [w.a.id], [], scoring)
    assert units[w.a.id].is_appraised and units[w.a.id].points == D("74.25")  # 8+5+43.75+17.5
    assert units[w.a.id].grade == "good"
    # The unit itself still reads its own figures until the results are published.
    units, _ = quality.leader_results(w.head, 2026, [w.a.id], [], scoring)
    assert not units[w.a.id].is_appraised and units[w.a.id].points == D("84.25")
    # Another unit sees nothing of A's before publication.
    units, _ = quality.leader_results(w.head_b, 2026, [w.a.id], [], scoring)
    assert units == {}


def test_the_assessment_pages_and_export_show_the_quality_result(qworld, as_user):
    w = qworld
    _fields(w)
    sheet = _submit(w)
    c = as_user("assessor")
    page = c.get(f"/assessment?{Q2}").get_data(as_text=True)
    assert f'data-leader-id="{w.deputy.id}"' in page
    row = page.split(f'data-leader-id="{w.deputy.id}"')[1].split("</tr>")[0]
    assert 'data-figure="quality" data-value="87.50"' in row
    assert f'/quality/sheets/{sheet.id}' in row
    unit_row = page.split(f'data-unit-id="{w.a.id}" data-row="own"')[1].split("</tr>")[0]
    assert 'data-figure="quality" data-value="84.25"' in unit_row
    # The deputy's page.
    page = c.get(f"/assessment/leader/{w.deputy.id}?{Q2}").get_data(as_text=True)
    assert 'id="quality-result" data-points="87.50"' in page
    # The XLSX: the leaders' table has the quality columns after the task figures.
    resp = c.get(f"/assessment/export.xlsx?{Q2}")
    wb = load_workbook(BytesIO(resp.data))
    ws = wb[ex.LEADER_SHEET]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if r[0] == "STT")
    assert tuple(rows[head]) == ex.LEADER_HEADERS + ex.QUALITY_HEADERS
    col = len(ex.LEADER_HEADERS)
    mine = next(r for r in rows[head + 1:] if r[4] == w.deputy.username)
    assert mine[col] == 87.5 and mine[col + 1] == "Điểm tự chấm"
    # A deputy reads their own line; B's head does not see A's result before publication.
    page = as_user("head_b").get(f"/assessment?{Q2}").get_data(as_text=True)
    assert 'data-value="84.25"' not in page


def test_the_command_line_export_has_the_quality_columns_of_the_web_one(qworld, as_user, runner,
                                                                          tmp_path):
    """`flask assess export` writes what the web export gives the assessor: the quality of
    operation beside the task score, on the units' and the leaders' tables."""
    w = qworld
    _fields(w)
    _submit(w)
    web = load_workbook(BytesIO(as_user("assessor").get(f"/assessment/export.xlsx?{Q2}").data))
    path = tmp_path / "danh-gia.xlsx"
    db.session.commit()
    result = runner.invoke(args=["assess", "export", "--period", "2026-Q2", "--as-of",
                                 "2026-06-15", "--format", "xlsx", "--output", str(path)])
    assert result.exit_code == 0, result.output
    cli = load_workbook(path)
    assert cli.sheetnames == web.sheetnames

    def table(wb, sheet):
        rows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
        return rows[next(i for i, r in enumerate(rows) if r[0] == "STT"):]

    for sheet in web.sheetnames:
        assert table(cli, sheet) == table(web, sheet), sheet
    assert tuple(table(cli, ex.UNIT_SHEET)[0]) == ex.UNIT_HEADERS + ex.QUALITY_HEADERS
    leaders = table(cli, ex.LEADER_SHEET)
    assert tuple(leaders[0]) == ex.LEADER_HEADERS + ex.QUALITY_HEADERS
    mine = next(r for r in leaders[1:] if r[4] == w.deputy.username)
    assert mine[len(ex.LEADER_HEADERS):] == [87.5, "Điểm tự chấm"]


def test_the_command_line_run_prints_the_quality_columns_of_the_export(qworld, runner):
    """`flask assess run` prints what `flask assess export` writes: each unit's and leader's
    quality of operation (the head's is the unit's total, a deputy's that of their fields)."""
    w = qworld
    _fields(w)
    _submit(w)
    result = runner.invoke(args=["assess", "run", "--period", "2026-Q2", "--as-of", "2026-06-15"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    headers = [line for line in lines if line.startswith(("Mã đơn vị", "Tên đăng nhập"))]
    assert len(headers) == 2, result.output
    for header in headers:
        assert all(h in header for h in ex.QUALITY_HEADERS), header
    mine = next(line for line in lines if line.startswith(w.deputy.username + " "))
    assert mine.rstrip().endswith("87.50  Điểm tự chấm"), mine


def test_a_deputys_quality_note_wraps_within_its_column(qworld, as_user):
    """On a 1366-pixel laptop the leaders' table stayed readable only when the note "no
    criterion of their fields" wraps in its cell: unwrapped, it squeezed the name, the post
    and the unit to one word a line (seen in the browser walk, docs/screenshots)."""
    w = qworld
    _submit(w)  # no field is mapped: the deputy has no criterion of her own
    page = as_user("assessor").get(f"/assessment?{Q2}").get_data(as_text=True)
    row = page.split(f'data-leader-id="{w.deputy.id}"')[1].split("</tr>")[0]
    assert 'class="text-muted small quality-note"' in row
    for cls in ("leader-name", "leader-role", "leader-unit"):
        assert f'class="{cls}"' in row
    from pathlib import Path
    css = (Path(__file__).parents[2] / "app/static/css/app.css").read_text()
    assert ".assessment-table .quality-note { display: inline-block; white-space: normal;" in css


def test_a_group_has_no_appraised_figure_before_any_appraisal(qworld, as_user):
    """A branch of the scoring sheet showed "0" appraised while nothing had been appraised
    (the total said "—"): read as "appraised at zero". It is blank, as its leaves are."""
    w = qworld
    sheet = _submit(w)
    page = as_user("assessor").get(f"/quality/sheets/{sheet.id}").get_data(as_text=True)
    group = page.split('data-code="1"')[1].split("</tr>")[0]
    assert "<td class=\"text-end\" data-appraised></td>" in group, group
    assert 'id="appraised-total">—<' in page


def _finalize_and_publish(w, sheet):
    """Both sheets submitted and finalized, the results published (locked)."""
    commands.finalize_sheet(w.assessor, sheet.id)
    b = sheet_of(w, w.b)
    files = current_settings().files
    for code in ("1.1", "1.2"):
        commands.save_self_score(w.head_b, b.id, w.c[code].id, commands.SelfScoreInput(
            D(5), "", [Upload("a.pdf", EVIDENCE_PDF)]), files, TODAY)
    commands.submit_sheet(w.head_b, b.id, TODAY, current_settings().scoring)
    commands.finalize_sheet(w.assessor, b.id)
    commands.publish_results(w.assessor, w.set.id, commands.PublishInput("15/QĐ-UBND", TODAY), TODAY)
    db.session.commit()


def test_a_published_deputys_result_keeps_the_fields_she_had_when_finalized(qworld, as_user):
    """Red team, session 7: `leader_results` read the deputy's fields live, so the head
    changing them after publication changed her published rating (measured before the fix:
    87.50 → 83.93 once given a second field, → not rated once stripped of her fields). The
    fields are stored with the sheet at finalize and read from there."""
    from app.org import people

    w = qworld
    f = _fields(w)
    sheet = _submit(w)
    _finalize_and_publish(w, sheet)
    scoring = current_settings().scoring

    def deputy():
        _, leaders = quality.leader_results(w.assessor, 2026, [], [w.deputy.id], scoring)
        return leaders[w.deputy.id]

    def page_figure():
        page = as_user("assessor").get(f"/assessment?{Q2}").get_data(as_text=True)
        row = page.split(f'data-leader-id="{w.deputy.id}"')[1].split("</tr>")[0]
        return row.split('data-figure="quality" data-value="')[1].split('"')[0]

    def export_figure():
        wb = load_workbook(BytesIO(as_user("assessor").get(f"/assessment/export.xlsx?{Q2}").data))
        rows = [list(r) for r in wb[ex.LEADER_SHEET].iter_rows(values_only=True)]
        head = next(i for i, r in enumerate(rows) if r[0] == "STT")
        mine = next(r for r in rows[head + 1:] if r[4] == w.deputy.username)
        return mine[len(ex.LEADER_HEADERS)]

    published = deputy()
    assert published.is_appraised and published.points == D("87.50") and published.criteria == 1
    assert (page_figure(), export_figure()) == ("87.50", 87.5)
    # The head gives her a second field mapped to criterion 1.2 (15 of 20 points)...
    other = Field(name="Nội chính", name_sort="noi chinh")
    db.session.add(other)
    db.session.flush()
    db.session.execute(update(Criterion).where(Criterion.id == w.c["1.2"].id)
                       .values(field_id=other.id))
    db.session.commit()
    people.set_fields(w.head, w.deputy.id, [f.id, other.id])
    db.session.commit()
    after = deputy()
    print(f"\n[integrity2] published deputy result after the head changed her fields: "
          f"{published.points} -> {after.points} ({after.criteria} criteria)")
    assert after == published
    assert (page_figure(), export_figure()) == ("87.50", 87.5)
    # ...or strips her of every field: still the published figure.
    people.set_fields(w.head, w.deputy.id, [])
    db.session.commit()
    assert deputy() == published


def test_before_finalize_a_deputys_result_follows_her_current_fields(qworld):
    """Until the assessor finalizes, the result is the unit's own, not yet decided: it
    follows the deputy's fields as they are."""
    from app.org import people

    w = qworld
    _fields(w)
    _submit(w)
    scoring = current_settings().scoring
    people.set_fields(w.head, w.deputy.id, [])
    db.session.commit()
    _, leaders = quality.leader_results(w.assessor, 2026, [], [w.deputy.id], scoring)
    assert leaders[w.deputy.id].criteria == 0 and leaders[w.deputy.id].points is None
