"""The one world builder: two units under a province, in each a head, a deputy and two staff,
one plan each and three tasks (tests/conftest.py's `world`; web_support and rel_support
extend it for the module-wide worlds)."""

from types import SimpleNamespace


def build_world(make) -> SimpleNamespace:
    """Build the world with the factory `make` (committed, through the services)."""
    province = make.unit("UBND tỉnh Đắk Lắk", code="P66")
    a = make.unit("Sở Nội vụ", parent=province, code="SNV")
    b = make.unit("Sở Khoa học và Công nghệ", parent=province, code="SKHCN")
    w = SimpleNamespace(province=province, a=a, b=b)
    w.admin = make.user(province, "admin", "Quản Trị Viên", "admin")
    w.assessor = make.user(province, "assessor", "Đánh Giá Viên", "assessor")
    w.head = make.user(a, "head", "Trần Văn Hùng", "head_a")
    w.deputy = make.user(a, "deputy", "Lê Thị Mai", "deputy_a")
    w.staff = make.user(a, "staff", "Phạm Văn Đăng", "staff_a")
    w.staff2 = make.user(a, "staff", "Ngô Thị Lan", "staff_a2")
    w.head_b = make.user(b, "head", "Võ Văn Bình", "head_b")
    w.deputy_b = make.user(b, "deputy", "Đỗ Thị Cúc", "deputy_b")
    w.staff_b = make.user(b, "staff", "Hồ Văn Cường", "staff_b")
    w.plan = make.plan(a)
    w.plan_b = make.plan(b)
    w.task = make.task(w.plan, w.head, a, w.staff, w.deputy)        # assigned to staff, deputy accountable
    w.task2 = make.task(w.plan, w.head, a, w.staff2, w.head,
                        title="Số hóa hồ sơ thủ tục hành chính còn hiệu lực")
    w.task_b = make.task(w.plan_b, w.head_b, b, w.staff_b, w.deputy_b)
    return w



# A world built once per session (tests/conftest.py's `prebuilt_world`) is handed to each
# rolled-back test as its rows plus these keys. The builder's objects are not plain rows: each
# carries the loader options of the query that last loaded it (create_task reads its task back
# with detail_options(), which reach the task's plan and people too), and SQLAlchemy refreshes an
# expired object with those options. The objects read back get the same, so a test sees the
# same ORM behaviour as after building the world itself (lazy="raise" relationships included).

def world_keys(w: SimpleNamespace) -> dict:
    """{attribute: (model class, primary key, loader options, load path)} of the world."""
    from sqlalchemy import inspect

    out = {}
    for name, obj in vars(w).items():
        state = inspect(obj, raiseerr=False)
        if state is not None and getattr(state, "identity", None):
            out[name] = (type(obj), state.identity, state.load_options, state.load_path)
    return out


def load_world(keys: dict) -> SimpleNamespace:
    """The world's objects, read in the current session and left as the builder leaves
    them: committed (so expired), with the builder's loader options."""
    from sqlalchemy import inspect, select

    from app.extensions import db

    # one SELECT per model instead of one per object (a round trip each on PostgreSQL);
    # the get() below then finds each object in the session
    by_model: dict = {}
    held = []   # the session's identity map holds objects weakly
    for model, ident, _options, _path in keys.values():
        by_model.setdefault(model, []).append(ident)
    for model, idents in by_model.items():
        pk = inspect(model).primary_key
        if len(pk) == 1 and len(idents) > 1:
            held += db.session.scalars(select(model).where(pk[0].in_([i[0] for i in idents])))
    w = SimpleNamespace()
    for name, (model, ident, options, path) in keys.items():
        obj = db.session.get(model, ident)
        state = inspect(obj)
        state.load_options, state.load_path = options, path
        setattr(w, name, obj)
    db.session.commit()
    return w
