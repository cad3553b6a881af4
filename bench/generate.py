"""Seeded benchmark data, written straight into a fresh database.

    SCALE=province .venv/bin/python bench/generate.py      # 150 units, 3,000 users, 100,000 tasks
    SCALE=large ...                                         # the same tree, 1,000,000 tasks

SQLite file bench/data/<scale>.db by default; PostgreSQL when BENCH_DATABASE_URL is set
(a schema of its own, dropped and made anew: options=-csearch_path%3D<schema> in the URL,
else "sauro_bench"). The schema comes from `flask db upgrade`; the rows go in with
executemany (SQLite) or COPY (PostgreSQL), never the ORM row by row.

The mix is what a province sees: three years of plans; most tasks that have fallen due
were completed on time, some late, a few are still open past their date (more in the
current year than in older ones); some were extended, cancelled or suspended; progress
reports, process steps and the audit trail go with them. The largest department (Sở Nội
vụ) leads about a tenth of the work.
"""

import os
import random
import secrets
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

SEED = int(os.environ.get("BENCH_SEED", "20261127"))
BATCH = 20_000

DEPARTMENTS = [
    ("SNV", "Sở Nội vụ", 8.0), ("STC", "Sở Tài chính", 3.0), ("STP", "Sở Tư pháp", 2.5),
    ("SXD", "Sở Xây dựng", 2.5), ("SCT", "Sở Công Thương", 2.5),
    ("SNNMT", "Sở Nông nghiệp và Môi trường", 3.0), ("SKHCN", "Sở Khoa học và Công nghệ", 3.0),
    ("SGDDT", "Sở Giáo dục và Đào tạo", 3.0), ("SYT", "Sở Y tế", 3.0),
    ("SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", 2.0), ("SDTTG", "Sở Dân tộc và Tôn giáo", 1.5),
    ("VPUB", "Văn phòng UBND tỉnh", 3.0), ("TTRA", "Thanh tra tỉnh", 1.5),
    ("BQLKCN", "Ban Quản lý các khu công nghiệp", 1.5), ("SNGV", "Sở Ngoại vụ", 1.0),
    ("DPTTH", "Đài Phát thanh và Truyền hình tỉnh", 1.0),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công", 2.0),
    ("BQLDA", "Ban Quản lý dự án đầu tư xây dựng tỉnh", 1.5),
    ("BHXH", "Bảo hiểm xã hội tỉnh", 1.5), ("CTK", "Thống kê tỉnh", 1.0),
]
COMMUNES = [
    ("PTANLAP", "UBND phường Tân Lập"), ("PTHANHNHAT", "UBND phường Thành Nhất"),
    ("PEATAM", "UBND phường Ea Tam"), ("PTANAN", "UBND phường Tân An"),
    ("XHOAPHU", "UBND xã Hòa Phú"), ("XEAKAO", "UBND xã Ea Kao"),
    ("XCUEBUR", "UBND xã Cư Ê Bur"), ("XHOATHANG", "UBND xã Hòa Thắng"),
    ("XEATU", "UBND xã Ea Tu"),
]
SECTIONS = ["Văn phòng", "Phòng Tổ chức cán bộ", "Phòng Kế hoạch - Tài chính",
            "Phòng Cải cách hành chính", "Phòng Chuyển đổi số", "Thanh tra"]
FIELDS = ["Cải cách thể chế", "Cải cách thủ tục hành chính", "Cải cách tổ chức bộ máy",
          "Cải cách chế độ công vụ", "Cải cách tài chính công", "Xây dựng chính quyền số"]

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "H'", "Y", "Ksor", "Niê"]
MIDDLES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quốc", "Thu", "Xuân", "Công"]
GIVEN = ["An", "Bình", "Cúc", "Dũng", "Đăng", "Giang", "Hà", "Hải", "Hạnh", "Hiền", "Hoa",
         "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Ngọc",
         "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Tuấn", "Vân",
         "Việt", "Xuân", "Yến", "Blơ", "Êban"]

VERBS = ["Xây dựng", "Rà soát", "Ban hành", "Triển khai", "Tổ chức", "Số hóa", "Kiểm tra",
         "Đánh giá", "Tập huấn", "Hoàn thiện", "Cập nhật", "Tuyên truyền"]
OBJECTS = ["quy chế làm việc của cơ quan", "bộ thủ tục hành chính thuộc thẩm quyền",
           "kế hoạch cải cách hành chính năm", "hồ sơ thủ tục hành chính còn hiệu lực",
           "cơ sở dữ liệu cán bộ, công chức", "chỉ số hài lòng của người dân",
           "đề án vị trí việc làm", "quy trình nội bộ giải quyết thủ tục",
           "hệ thống quản lý văn bản và điều hành", "báo cáo kết quả thực hiện nhiệm vụ",
           "chương trình chuyển đổi số", "dịch vụ công trực tuyến toàn trình",
           "kế hoạch kiểm tra công vụ", "quy định phân cấp quản lý",
           "danh mục văn bản quy phạm pháp luật", "mô hình một cửa liên thông"]
PRODUCTS = ["Quyết định ban hành", "Báo cáo kết quả", "Kế hoạch được phê duyệt",
            "Hệ thống vận hành chính thức", "Văn bản hướng dẫn", "Biên bản kiểm tra"]
STEP_TITLES = ["Dự thảo", "Lấy ý kiến các đơn vị", "Hoàn thiện và trình ký",
               "Tổ chức thực hiện", "Báo cáo kết quả"]
INDICATORS = [("Tỷ lệ hồ sơ trực tuyến", "%", Decimal(80)), ("Số thủ tục được rà soát", "thủ tục", Decimal(40)),
              ("Số người được tập huấn", "người", Decimal(200))]

TASK_COLS = ("id", "plan_id", "owner_unit_id", "parent_id", "stt", "order_key", "assignee_id",
             "lead_unit_id", "title", "title_folded", "title_sort", "description", "leader_id",
             "responsibility", "start_on", "due_on", "original_due_on", "output_product", "indicator_name",
             "indicator_unit", "indicator_target", "indicator_actual", "field_id", "weight",
             "progress", "status", "submitted_on", "completed_on", "cancel_reason", "is_clear",
             "overdue_flagged_at", "created_by_id", "created_at", "updated_at", "version",
             "extension_count")
STEP_COLS = ("id", "task_id", "position", "title", "due_on", "is_done", "done_at", "done_by_id")
PROGRESS_COLS = ("id", "task_id", "author_id", "created_at", "percent", "note", "actual_value")
EXT_COLS = ("id", "task_id", "requested_by_id", "requested_at", "requested_on", "previous_due_on",
            "proposed_due_on", "reason", "status", "decided_by_id", "decided_at", "decision_comment")
AUDIT_COLS = ("id", "at", "actor_id", "action", "object_type", "object_id", "task_id", "changes",
              "comment")
NOTE_COLS = ("id", "user_id", "kind", "task_id", "dedupe_key", "about_on", "days", "message",
             "created_at", "read_at", "emailed_at", "email_attempts")


def _sqlite_value(v):
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, bool):
        return int(v)
    return v


class Writer:
    """Bulk inserts with the bare driver: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, conn, kind: str):
        self.conn, self.kind = conn, kind
        self.counts: dict[str, int] = {}

    def insert(self, table: str, cols: tuple, rows: list) -> None:
        if not rows:
            return
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        names = ", ".join(f'"{c}"' for c in cols)
        if self.kind == "sqlite":
            marks = ", ".join("?" for _ in cols)
            self.conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                                  [tuple(_sqlite_value(v) for v in r) for r in rows])
        else:
            with self.conn.cursor() as cur, cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as cp:
                for r in rows:
                    cp.write_row(r)


def fresh_database(url: str, kind: str) -> None:
    """Drop what a previous run left and build the schema with `flask db upgrade`."""
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from app import create_app
    from app.extensions import db
    from config import Config

    if kind == "sqlite":
        path = Path(url[len("sqlite:///"):])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        schema = common.pg_schema(url)
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    app = create_app(Config, SQLALCHEMY_DATABASE_URI=url, TESTING=True)
    with app.app_context():
        upgrade(directory=str(common.ROOT / "migrations"))
        db.engine.dispose()


class World:
    """The unit tree, the people and the fields, as plain rows."""

    def __init__(self, rnd: random.Random, n_users: int):
        from app.domain.text import fold, person_sort_key, sort_key

        self.rnd = rnd
        self.units: list[dict] = []
        self.users: list[dict] = []
        self.by_unit: dict[int, dict[str, list[int]]] = {}
        now = datetime(2023, 12, 1, 1, 0)

        def unit(code, name, kind, parent, weight):
            uid = len(self.units) + 1
            path = (parent["path"] if parent else "/") + f"{uid}/"
            u = {"id": uid, "code": code, "name": name, "name_folded": fold(name),
                 "name_sort": sort_key(name), "kind": kind,
                 "parent_id": parent["id"] if parent else None, "path": path, "is_active": True,
                 "created_at": now, "weight": weight}
            self.units.append(u)
            self.by_unit[uid] = {"head": [], "deputy": [], "staff": []}
            return u

        self.root = unit("P66", "UBND tỉnh Đắk Lắk", "province", None, 3.0)
        self.departments = [unit(c, n, "department", self.root, w) for c, n, w in DEPARTMENTS]
        self.communes = [unit(c, n, "commune", self.root, rnd.uniform(1.0, 2.0)) for c, n in COMMUNES]
        self.sections: dict[int, list[dict]] = {}
        for d in self.departments:
            self.sections[d["id"]] = [unit(f"{d['code']}-{i + 1}", f"{s} ({d['name']})", "section", d,
                                           1.0) for i, s in enumerate(SECTIONS)]
        self.owners = [self.root] + self.departments + self.communes
        self.largest = self.departments[0]
        self.fields = [{"id": i + 1, "unit_id": None, "name": n, "name_sort": sort_key(n)}
                       for i, n in enumerate(FIELDS)]

        seen: set[str] = set()

        def person(unit_row, role, username=None):
            while True:
                name = f"{rnd.choice(SURNAMES)} {rnd.choice(MIDDLES)} {rnd.choice(GIVEN)}"
                if rnd.random() < 0.3:
                    name = f"{rnd.choice(SURNAMES)} {rnd.choice(MIDDLES)} {rnd.choice(MIDDLES)} {rnd.choice(GIVEN)}"
                if name not in seen or len(seen) > 2500:
                    break
            seen.add(name)
            uid = len(self.users) + 1
            self.users.append({
                "id": uid, "username": username or f"{role[:2]}{uid:05d}", "full_name": name,
                "name_folded": fold(name), "name_sort": person_sort_key(name),
                "email": f"u{uid}@dl.gov.vn", "unit_id": unit_row["id"], "role": role,
                "title": None, "is_active": True, "session_token": secrets.token_urlsafe(32),
                "locale": None, "email_digest": False, "created_at": now, "last_login_at": None})
            if role in ("head", "deputy", "staff"):
                self.by_unit[unit_row["id"]][role].append(uid)
            return uid

        person(self.root, "admin", "admin")
        person(self.root, "assessor", "assessor")
        for u in self.units:
            deputies = {"province": 3, "department": 3, "commune": 2, "section": 1}[u["kind"]]
            person(u, "head", f"head_{u['code'].lower()}")
            for i in range(deputies):
                person(u, "deputy", f"deputy_{u['code'].lower()}_{i + 1}")
        # Staff: in proportion to the work each unit leads.
        staff_weight = []
        for u in self.units:
            w = u["weight"]
            if u["kind"] == "department":
                w = w * 0.3
            elif u["kind"] == "section":
                w = self._dept_of(u)["weight"] * 0.6
            staff_weight.append(w)
        left = n_users - len(self.users)
        total = sum(staff_weight)
        counts = [max(2, int(left * w / total)) for w in staff_weight]
        i = 0
        while sum(counts) < left:
            counts[i % len(counts)] += 1
            i += 1
        while sum(counts) > left:
            j = counts.index(max(counts))
            counts[j] -= 1
        for u, n in zip(self.units, counts, strict=True):
            for k in range(n):
                person(u, "staff", f"staff_{u['code'].lower()}_{k + 1}")
        # Deputies answer for one or two fields each.
        self.user_fields = []
        for u in self.units:
            for j, dep in enumerate(self.by_unit[u["id"]]["deputy"]):
                self.user_fields.append((dep, self.fields[j % len(self.fields)]["id"]))
                self.user_fields.append((dep, self.fields[(j + 3) % len(self.fields)]["id"]))
        self.users_by_id = {u["id"]: u for u in self.users}

    def _dept_of(self, section: dict) -> dict:
        return next(d for d in self.departments if d["id"] == section["parent_id"])

    def staff_under(self, unit_row: dict) -> list[int]:
        """Staff of the unit and, for a department, of its sections."""
        ids = list(self.by_unit[unit_row["id"]]["staff"])
        for s in self.sections.get(unit_row["id"], []):
            ids += self.by_unit[s["id"]]["staff"]
        return ids


def _due_date(rnd: random.Random, year: int) -> date:
    """Deadlines bunch at month and quarter ends, as plans write them."""
    r = rnd.random()
    if r < 0.25:
        month = rnd.choice((3, 6, 9, 12))
        return date(year, month, 30 if month in (6, 9) else 31)
    if r < 0.45:
        month = rnd.randint(1, 12)
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return nxt - timedelta(days=1)
    return date(year, 1, 1) + timedelta(days=rnd.randint(14, 364))


def _at(d: date, rnd: random.Random) -> datetime:
    """An office-hours instant on day d, in UTC (Asia/Ho_Chi_Minh is UTC+7)."""
    return datetime(d.year, d.month, d.day, rnd.randint(1, 9), rnd.randint(0, 59), rnd.randint(0, 59))


def generate(url: str, kind: str, n_tasks: int, today: date) -> dict:
    from app.directory.users import hash_password
    from app.domain.text import fold
    from app.models.task import title_sort_key

    rnd = random.Random(SEED)
    world = World(rnd, 3000)
    conn = common.raw_connection(url)
    if kind == "sqlite":
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
    w = Writer(conn, kind)

    from flask import Flask

    from app.extensions import passwords

    hasher_app = Flask("bench")  # default argon2 parameters, as production logs in with
    passwords.init_app(hasher_app)
    with hasher_app.app_context():
        pw_hash = hash_password(common.PASSWORD)

    w.insert("units", ("id", "code", "name", "name_folded", "name_sort", "kind", "parent_id", "path",
                       "is_active", "created_at"),
             [tuple(u[c] for c in ("id", "code", "name", "name_folded", "name_sort", "kind",
                                   "parent_id", "path", "is_active", "created_at")) for u in world.units])
    w.insert("fields", ("id", "unit_id", "name", "name_sort"),
             [(f["id"], f["unit_id"], f["name"], f["name_sort"]) for f in world.fields])
    ucols = ("id", "username", "full_name", "name_folded", "name_sort", "email", "password_hash",
             "unit_id", "role", "title", "is_active", "session_token", "locale", "email_digest",
             "created_at", "last_login_at")
    w.insert("users", ucols, [tuple(pw_hash if c == "password_hash" else u[c] for c in ucols)
                              for u in world.users])
    w.insert("user_fields", ("user_id", "field_id"), world.user_fields)

    years = [today.year - 2, today.year - 1, today.year]
    kinds = (("cchc", 0.4, "Kế hoạch cải cách hành chính"), ("work", 0.4, "Kế hoạch công tác"),
             ("digital", 0.2, "Kế hoạch chuyển đổi số"))
    plans = []
    for year in years:
        for owner in world.owners:
            for k, _share, title in kinds:
                pid = len(plans) + 1
                issued = date(year, 1, rnd.randint(5, 25))
                plans.append({"id": pid, "unit_id": owner["id"], "year": year, "kind": k,
                              "title": f"{title} năm {year} của {owner['name']}",
                              "doc_number": f"{rnd.randint(1, 300):02d}/KH-{owner['code']}",
                              "doc_date": issued,
                              "status": "closed" if year < today.year - 1 else "issued",
                              "issued_at": _at(issued, rnd),
                              "issued_by_id": world.by_unit[owner["id"]]["head"][0],
                              "created_at": _at(issued - timedelta(days=10), rnd), "version": 1})
    w.insert("plans", tuple(plans[0].keys()), [tuple(p.values()) for p in plans])

    # Tasks per plan: a year's share for each owner by its weight, then by kind.
    owner_weight = sum(o["weight"] for o in world.owners)
    per_year = n_tasks / len(years)
    plan_sizes = []
    for p in plans:
        owner = next(o for o in world.owners if o["id"] == p["unit_id"])
        share = next(s for k, s, _ in kinds if k == p["kind"])
        plan_sizes.append(per_year * owner["weight"] / owner_weight * share)
    scale_to = n_tasks / sum(plan_sizes)
    sizes = [int(s * scale_to) for s in plan_sizes]
    for i in range(n_tasks - sum(sizes)):
        sizes[i % len(sizes)] += 1

    title_cache: dict[str, tuple[str, str]] = {}  # title -> (folded, collation key)
    ids = {"task": 0, "step": 0, "progress": 0, "ext": 0, "audit": 0, "note": 0}
    batch = {k: [] for k in ("tasks", "process_steps", "progress_updates", "extensions",
                             "audit_log", "notifications")}
    cols = {"tasks": TASK_COLS, "process_steps": STEP_COLS, "progress_updates": PROGRESS_COLS,
            "extensions": EXT_COLS, "audit_log": AUDIT_COLS, "notifications": NOTE_COLS}
    stats = {"overdue_open": 0, "on_time": 0, "late": 0, "excluded": 0, "extended": 0, "open": 0}
    unit_by_id = {u["id"]: u for u in world.units}

    def flush():
        for table in ("tasks", "process_steps", "progress_updates", "extensions", "audit_log",
                      "notifications"):
            w.insert(table, cols[table], batch[table])
            batch[table].clear()

    for p, size in zip(plans, sizes, strict=True):
        owner = unit_by_id[p["unit_id"]]
        year = p["year"]
        leaders = world.by_unit[owner["id"]]
        head = leaders["head"][0]
        if owner["kind"] == "department":
            leads = [(owner, 0.35)] + [(s, 0.65 / 6) for s in world.sections[owner["id"]]]
        elif owner["kind"] == "province":
            leads = [(owner, 0.4)] + [(d, 0.6 / len(world.departments)) for d in world.departments]
        else:
            leads = [(owner, 1.0)]
        lead_units, lead_weights = zip(*leads, strict=True)
        top = 0
        last_top: dict | None = None
        child_n = 0
        # Past years are settled; this year's open share is larger.
        age = today.year - year
        overdue_share = {0: 0.09, 1: 0.03, 2: 0.015}.get(age, 0.01)
        for _ in range(size):
            ids["task"] += 1
            tid = ids["task"]
            lead = rnd.choices(lead_units, lead_weights)[0]
            staff = world.staff_under(lead) or world.staff_under(owner)
            assignee = rnd.choice(staff) if rnd.random() > 0.01 else None
            # The head answers for a quarter, the deputies for the rest.
            leader = head if (rnd.random() < 0.25 or not leaders["deputy"]) else rnd.choice(leaders["deputy"])
            if last_top is not None and rnd.random() < 0.15 and child_n < 4:
                child_n += 1
                parent_id, stt = last_top["id"], f"{last_top['stt']}.{child_n}"
                due = min(_due_date(rnd, year), last_top["due_on"])
            else:
                top += 1
                child_n = 0
                parent_id, stt = None, str(top)
                due = _due_date(rnd, year)
            start = max(date(year, 1, 2), due - timedelta(days=rnd.randint(20, 200)))
            title = f"{rnd.choice(VERBS)} {rnd.choice(OBJECTS)} {year}"
            if rnd.random() < 0.5:
                title += f" tại {lead['name']}"
            cached = title_cache.get(title)
            if cached is None:
                cached = title_cache[title] = (fold(title), title_sort_key(title))
            folded, title_sort = cached
            weight = rnd.choices((Decimal(1), Decimal(2), Decimal("0.5"), Decimal(3)), (80, 12, 5, 3))[0]
            created = _at(max(date(year, 1, 2), start - timedelta(days=rnd.randint(0, 10))), rnd)
            original_due = due
            ext_count = 0
            # Extensions: about 6% approved (the due date moved), 1% refused, 1% pending.
            r_ext = rnd.random()
            if r_ext < 0.06 and due.month < 12:
                moved = min(date(year, 12, 31), due + timedelta(days=rnd.randint(10, 60)))
                original_due, due, ext_count = due, moved, 1
            # The outcome, judged from today.
            r = rnd.random()
            status, submitted, completed, progress = "assigned", None, None, 0
            if due < today:
                if r < 0.03:
                    status = "cancelled"
                elif r < 0.04:
                    status = "suspended"
                elif r < 0.04 + overdue_share:
                    status = rnd.choices(("in_progress", "assigned", "submitted", "returned"),
                                         (70, 15, 10, 5))[0]
                    progress = rnd.randint(10, 90) if status != "assigned" else 0
                    if status == "submitted":
                        submitted = min(today, due + timedelta(days=rnd.randint(1, 20)))
                else:
                    status = "completed"
                    late = rnd.random() < 0.16
                    if late:
                        completed = min(today - timedelta(days=1), due + timedelta(days=rnd.randint(1, 45)))
                    else:
                        completed = max(start, due - timedelta(days=rnd.randint(0, 25)))
                    submitted, progress = completed, 100
            else:
                if r < 0.02:
                    status = "cancelled"
                elif r < 0.17 and start < today:
                    status, progress = "completed", 100
                    completed = submitted = today - timedelta(days=rnd.randint(0, max(0, min(30, (today - start).days))))
                else:
                    status = rnd.choices(("in_progress", "assigned", "submitted", "returned", "draft"),
                                         (60, 28, 6, 4, 2))[0] if start < today else "assigned"
                    progress = rnd.randint(5, 95) if status in ("in_progress", "returned", "submitted") else 0
                    if status == "submitted":
                        submitted = today - timedelta(days=rnd.randint(0, 5))
            if status in ("cancelled", "suspended"):
                stats["excluded"] += 1
            elif status == "completed":
                stats["late" if completed > due else "on_time"] += 1
            elif due < today:
                stats["overdue_open"] += 1
            else:
                stats["open"] += 1
            stats["extended"] += ext_count
            clear = rnd.random() < 0.93
            ind = rnd.choice(INDICATORS) if rnd.random() < 0.2 else None
            actual = None
            if ind and progress:
                actual = (ind[2] * progress / 100).quantize(Decimal("0.0001"))
            updated = created
            task = {"id": tid, "due_on": due, "stt": stt}
            # Process steps: one to four; an unclear task may have none.
            n_steps = rnd.randint(1, 4) if clear or rnd.random() < 0.5 else 0
            span = max(1, (due - start).days)
            for k in range(n_steps):
                ids["step"] += 1
                step_due = start + timedelta(days=span * (k + 1) // n_steps)
                done = progress >= 100 * (k + 1) / n_steps
                batch["process_steps"].append((ids["step"], tid, k + 1, STEP_TITLES[k], step_due, done,
                                               _at(min(step_due, today), rnd) if done and assignee else None,
                                               assignee if done else None))
            # Progress reports: the last one carries the task's percent.
            ids["audit"] += 1
            batch["audit_log"].append((ids["audit"], created, leader, "task.create", "task", tid, tid,
                                       '{"title": [null, "..."]}', ""))
            if progress and assignee:
                n_rep = rnd.randint(1, 3)
                last_day = submitted or min(today, due + timedelta(days=15))
                first_day = min(last_day, start + timedelta(days=5))
                for k in range(n_rep):
                    ids["progress"] += 1
                    day = first_day + (last_day - first_day) * (k + 1) // n_rep
                    pct = progress * (k + 1) // n_rep
                    at = _at(day, rnd)
                    batch["progress_updates"].append((ids["progress"], tid, assignee, at, pct,
                                                      "Đã triển khai theo kế hoạch" if k else "Bắt đầu thực hiện",
                                                      actual if k == n_rep - 1 else None))
                    ids["audit"] += 1
                    batch["audit_log"].append((ids["audit"], at, assignee, "task.progress", "task", tid, tid,
                                               f'{{"progress": [null, {pct}]}}', ""))
                    updated = max(updated, at)
            if ext_count:
                ids["ext"] += 1
                asked = original_due - timedelta(days=rnd.randint(1, 10))
                batch["extensions"].append((ids["ext"], tid, assignee or leader, _at(asked, rnd), asked,
                                            original_due, due, "Chờ ý kiến của cơ quan phối hợp",
                                            "approved", leader, _at(asked + timedelta(days=1), rnd), ""))
            elif r_ext > 0.99 and assignee:
                ids["ext"] += 1
                asked = min(today, due - timedelta(days=rnd.randint(1, 10)))
                refused = status not in ("assigned", "in_progress")
                batch["extensions"].append((ids["ext"], tid, assignee, _at(asked, rnd), asked, due,
                                            due + timedelta(days=30), "Khối lượng công việc lớn",
                                            "refused" if refused else "pending",
                                            leader if refused else None,
                                            _at(asked, rnd) if refused else None, ""))
            if year == today.year and assignee:
                ids["note"] += 1
                batch["notifications"].append((ids["note"], assignee, "assigned", tid,
                                               f"assigned:{tid}:v1:{assignee}", None, None, "", created,
                                               created + timedelta(days=1) if rnd.random() < 0.8 else None,
                                               None, 0))
            batch["tasks"].append((
                tid, p["id"], owner["id"], parent_id, stt,
                ".".join(x.zfill(4) for x in stt.split(".")), assignee, lead["id"], title, folded,
                title_sort,
                "Thực hiện theo kế hoạch được giao, bảo đảm chất lượng và tiến độ.", leader,
                "Chịu trách nhiệm tổ chức thực hiện và báo cáo kết quả." if clear or rnd.random() < 0.5 else "",
                start, due, original_due, rnd.choice(PRODUCTS) if clear else "",
                ind[0] if ind else "", ind[1] if ind else "", ind[2] if ind else None, actual,
                rnd.choice(world.fields)["id"] if rnd.random() < 0.9 else None, weight, progress, status,
                submitted, completed, "Không còn phù hợp" if status == "cancelled" else "",
                bool(clear and n_steps and assignee), None, leader, created, updated, 1 + (progress > 0),
                ext_count))
            if parent_id is None:
                last_top = task
            if len(batch["tasks"]) >= BATCH:
                flush()
    flush()

    if kind == "sqlite":
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with conn.cursor() as cur:
            for table in ("units", "users", "fields", "plans", "tasks", "process_steps",
                          "progress_updates", "extensions", "audit_log", "notifications"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))")
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    conn.close()

    largest = world.largest
    return {"counts": w.counts, "stats": stats, "largest_unit_id": largest["id"],
            "largest_unit_code": largest["code"], "largest_head": f"head_{largest['code'].lower()}",
            "units": len(world.units), "users": len(world.users), "plans": len(plans),
            "heads": [u["username"] for u in world.users if u["role"] == "head"],
            "deputies": [u["username"] for u in world.users if u["role"] == "deputy"],
            "staff": [u["username"] for u in world.users if u["role"] == "staff"]}


def busiest_staff(url: str) -> str:
    """The staff member with the most tasks: the heaviest 'my tasks' page."""
    conn = common.raw_connection(url)
    cur = conn.cursor()
    cur.execute("SELECT u.username FROM tasks t JOIN users u ON u.id = t.assignee_id "
                "WHERE u.role = 'staff' "
                "GROUP BY u.username ORDER BY COUNT(*) DESC, u.username LIMIT 1")
    name = cur.fetchone()[0]
    conn.close()
    return name


def main() -> None:
    name = common.scale()
    url, kind = common.database_url()
    today = common.bench_today()
    t0 = time.perf_counter()
    fresh_database(url, kind)
    t1 = time.perf_counter()
    meta = generate(url, kind, common.SCALES[name], today)
    meta["busiest_staff"] = busiest_staff(url)
    t2 = time.perf_counter()
    meta.update({"scale": name, "database": kind, "today": today.isoformat(), "seed": SEED,
                 "migrate_s": round(t1 - t0, 2),
                 "generate_s": round(t2 - t1, 2)})
    common.write_meta(kind, meta)
    print(f"generated {name} on {kind} in {t2 - t0:.1f} s (schema {t1 - t0:.1f} s): "
          + ", ".join(f"{k} {v:,}" for k, v in meta["counts"].items()))
    print("mix of tasks:", ", ".join(f"{k} {v:,}" for k, v in meta["stats"].items()))


if __name__ == "__main__":
    main()
