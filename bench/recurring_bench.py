"""Generating a year's occurrences for 5,000 recurring rules (app/plans/recurring.py:
generate) against its floor: the same dates from the same pure arithmetic
(app/domain/recurrence.py), then executemany inserting the same rows with the bare driver
(the tasks, their steps and their audit rows).

The rules are written once (not timed) on a draft plan of the largest unit for next year:
a mix of monthly, quarterly, six-monthly, nine-month and yearly rules, half of them due a
day of the month, half a number of working days after the cut-off."""

import json
from decimal import Decimal

RULES = 5000
KIND = "cchc"
FREQUENCIES = ("monthly", "quarterly", "half_yearly", "yearly", "monthly", "quarterly",
               "nine_months", "monthly", "quarterly", "half_yearly")
STEPS = "Tổng hợp số liệu\nDự thảo báo cáo\nTrình ký, gửi báo cáo"


def setup(raw, meta: dict, year: int, now) -> tuple[int, int, int]:
    """(plan id, owner unit id, head id): a fresh draft plan of next year with RULES rules."""
    unit_id = meta["largest_unit_id"]
    head_id = raw.execute("SELECT id FROM users WHERE username = :n",
                          {"n": meta["largest_head"]}).fetchone()[0]
    staff = [r[0] for r in raw.execute(
        "SELECT id FROM users WHERE unit_id = :u AND role = 'staff' ORDER BY id", {"u": unit_id})]
    deputies = [r[0] for r in raw.execute(
        "SELECT id FROM users WHERE unit_id = :u AND role = 'deputy' ORDER BY id", {"u": unit_id})]
    leaders = deputies or [head_id]
    raw.begin()
    old = "SELECT id FROM plans WHERE unit_id = :u AND year = :y AND kind = :k"
    args = {"u": unit_id, "y": year, "k": KIND}
    raw.execute(f"DELETE FROM process_steps WHERE task_id IN (SELECT id FROM tasks WHERE plan_id IN ({old}))", args)
    raw.execute(f"DELETE FROM tasks WHERE plan_id IN ({old})", args)
    raw.execute(f"DELETE FROM recurring_rules WHERE plan_id IN ({old})", args)
    raw.execute("DELETE FROM plans WHERE unit_id = :u AND year = :y AND kind = :k", args)
    raw.execute("INSERT INTO plans (unit_id, year, kind, title, status, created_at, version) "
                "VALUES (:u, :y, :k, :t, 'draft', :now, 1)",
                args | {"t": f"Kế hoạch CCHC năm {year} (bench: định kỳ)", "now": now})
    plan_id = raw.execute(old, args).fetchone()[0]
    mark = "?" if raw.kind == "sqlite" else "%s"
    rows = []
    for i in range(RULES):
        by_days = i % 2 == 1
        rows.append((plan_id, i + 1, FREQUENCIES[i % len(FREQUENCIES)], None,
                     "working_days" if by_days else "day", None if by_days else 15 + i % 14,
                     False, 1 + i % 5 if by_days else None,
                     f"Báo cáo định kỳ số {i + 1} về công tác cải cách hành chính",
                     "Tổng hợp, báo cáo kết quả của kỳ.", staff[i % len(staff)], unit_id,
                     leaders[i % len(leaders)], "Chịu trách nhiệm tổng hợp và gửi đúng hạn.",
                     STEPS, "Báo cáo của kỳ", Decimal(1), True, "", head_id, raw.value(now), 1))
    raw.conn.cursor().executemany(
        "INSERT INTO recurring_rules (plan_id, position, frequency, cutoff_day, due_kind, due_day, "
        "due_next_month, working_days, title, description, assignee_id, lead_unit_id, leader_id, "
        "responsibility, steps_text, output_product, weight, is_active, deleted_reason, "
        f"created_by_id, created_at, version) VALUES ({', '.join([mark] * 22)})",
        [tuple(float(x) if isinstance(x, Decimal) and raw.kind == "sqlite" else x for x in r)
         for r in rows])
    raw.commit()
    return plan_id, unit_id, head_id


def floor(raw, plan_id: int, owner_id: int, actor_id: int, year: int, now) -> int:
    """The same occurrences: the rules read with one SELECT, the dates from the domain, the
    tasks, steps and audit rows inserted with executemany."""
    from app.domain import recurrence as rec
    from app.domain.text import fold
    from app.domain.workdays import vietnam_holidays
    from app.models.task import title_sort_key
    from app.plans.recurring import stt_of

    days = vietnam_holidays(year)
    rules = raw.execute(
        "SELECT id, position, frequency, cutoff_day, due_kind, due_day, due_next_month, "
        "working_days, title, description, assignee_id, lead_unit_id, leader_id, responsibility, "
        "steps_text, output_product, weight FROM recurring_rules WHERE plan_id = :p AND is_active "
        "ORDER BY position", {"p": plan_id}).fetchall()
    v = raw.value
    tasks, steps_of = [], {}
    for (rid, pos, freq, cut, kind, dday, nxt, wdays, title, desc, who, lead, leader, resp,
         steps, out, weight) in rules:
        s = rec.Schedule(frequency=freq, due_kind=kind, due_day=dday, due_next_month=bool(nxt),
                         working_days=wdays, cutoff_day=cut)
        folded, sort = fold(title), title_sort_key(title)
        steps_of[rid] = [x for x in steps.split("\n") if x]
        for o in rec.occurrences(s, year, days):
            stt, key = stt_of(pos, o)
            tasks.append((plan_id, owner_id, stt, key, who, lead, title, folded, sort, desc, leader,
                          resp, v(o.start_on), v(o.due_on), v(o.due_on), out, "", "", weight, 0,
                          "assigned", "", True, actor_id, v(now), v(now), 1, 0, 0, rid, o.period))
    raw.begin()
    cur = raw.conn.cursor()
    mark = "?" if raw.kind == "sqlite" else "%s"
    cur.executemany(
        "INSERT INTO tasks (plan_id, owner_unit_id, stt, order_key, assignee_id, lead_unit_id, "
        "title, title_folded, title_sort, description, leader_id, responsibility, start_on, "
        "due_on, original_due_on, output_product, indicator_name, indicator_unit, weight, "
        "progress, status, cancel_reason, is_clear, created_by_id, created_at, updated_at, "
        "version, extension_count, amendment_count, recurring_rule_id, period_code) "
        f"VALUES ({', '.join([mark] * 31)})",
        [tuple(float(x) if isinstance(x, Decimal) and raw.kind == "sqlite" else x for x in t)
         for t in tasks])
    made = raw.execute("SELECT id, recurring_rule_id, period_code, due_on FROM tasks "
                       "WHERE plan_id = :p", {"p": plan_id}).fetchall()
    cur.executemany(f"INSERT INTO process_steps (task_id, position, title, is_done) "
                    f"VALUES ({mark}, {mark}, {mark}, {mark})",
                    [(tid, i + 1, s, False) for tid, rid, _c, _d in made
                     for i, s in enumerate(steps_of[rid])])
    cur.executemany(f"INSERT INTO audit_log (at, actor_id, action, object_type, object_id, task_id, "
                    f"changes, comment) VALUES ({', '.join([mark] * 8)})",
                    [(v(now), actor_id, "task.create", "task", tid, tid,
                      json.dumps({"recurring_rule_id": [None, rid], "period": [None, code],
                                  "due_on": [None, str(due)]}), "")
                     for tid, rid, code, due in made])
    raw.commit()
    return len(made)


def run(url: str, kind: str, meta: dict, raw, make_app) -> dict:
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Plan, RecurringRule
    from app.models.base import utcnow
    from app.plans import recurring
    from bench.run import pair

    year = meta["today"].year + 1
    plan_id, owner_id, head_id = setup(raw, meta, year, utcnow())
    app = make_app(url, meta["today"])
    counts = {}

    def reset():
        raw.begin()
        raw.execute("DELETE FROM process_steps WHERE task_id IN "
                    "(SELECT id FROM tasks WHERE plan_id = :p)", {"p": plan_id})
        raw.execute("DELETE FROM tasks WHERE plan_id = :p", {"p": plan_id})
        raw.commit()

    def run_app():
        with app.app_context():
            plan = db.session.get(Plan, plan_id)
            rules = db.session.scalars(select(RecurringRule).where(
                RecurringRule.plan_id == plan_id, RecurringRule.is_active)).all()
            counts["app"] = recurring.generate(plan, list(rules), head_id)
            db.session.commit()
            db.session.remove()

    def run_floor():
        counts["floor"] = floor(raw, plan_id, owner_id, head_id, year, utcnow())

    a, f, al, fl = pair(run_app, run_floor, reset)
    reset()
    if counts["app"] != counts["floor"]:
        raise AssertionError(f"occurrence counts differ: {counts}")
    return {"name": "recurring_occurrences_5000", "app_s": a, "floor_s": f, "runs_app": al,
            "runs_floor": fl, "rows": {"rules": RULES, "occurrences": counts["app"]}}
