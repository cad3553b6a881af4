"""The overdue export lists its rows in the page's order, read back from the workbook:
by accountable leader (the head first, then by name; none last), then by responsible person
(by name; nobody last), then by due date (the most overdue first, the due-soon ones after,
nearest first). Within a leader, one person's due-soon row may come before another
person's overdue row: the page shows them under the person's heading, the sheet beside the
person's name."""

from io import BytesIO

from openpyxl import load_workbook

from tests.overdue_data import build_rich


def test_the_export_reads_back_in_the_page_s_order_person_by_person(world, make, as_user):
    w = build_rich(world, make)
    ws = load_workbook(BytesIO(as_user("head_a").get("/overdue.xlsx").data)).active
    rows = list(ws.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "STT")
    body = [(r[0], r[1], r[3], r[4], r[8], r[9]) for r in rows[at + 1:]]
    head, deputy, deputy2 = w.head.full_name, w.deputy.full_name, w.deputy2.full_name
    assert [r[0] for r in body] == list(range(1, 9))
    assert [r[1:] for r in body] == [
        # The head's group first.
        (w.t_head_over.title, w.staff2.full_name, head, 3, "Quá hạn"),
        (w.t_today.title, w.staff_a2.full_name, head, None, "Sắp đến hạn (hạn hôm nay)"),
        # Then the deputies by given name: An before Mai.
        (w.t_over10.title, w.staff_a1x.full_name, deputy2, 10, "Quá hạn"),
        # Inside a leader, person by person: the most overdue first, then due soon.
        (w.t_submitted.title, w.staff.full_name, deputy, 5, "Quá hạn"),
        (w.t_over1.title, w.staff.full_name, deputy, 1, "Quá hạn"),
        (w.t_soon3.title, w.staff.full_name, deputy, None, "Sắp đến hạn (còn 3 ngày)"),
        (w.t_over30.title, w.staff_a1.full_name, deputy, 30, "Quá hạn"),
        (w.t_nolead.title, None, deputy, 2, "Quá hạn"),
    ]
