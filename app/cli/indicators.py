"""`flask indicators import|export`: an indicator set's criteria tree as Excel (the command
line is a boundary: it calls the use cases and commits once)."""

from decimal import Decimal
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.cli.common import fail
from app.common.errors import RuleViolation
from app.domain.quality import UNIT_GROUPS
from app.extensions import db
from app.models import IndicatorSet, Role, User
from app.quality import commands, setfile

indicators_cli = AppGroup("indicators", help="Indicator sets (DESIGN.md 8): the criteria tree as Excel.")

GROUP_NAMES = {
    "department": "các sở, ban, ngành",
    "commune": "các xã, phường, đặc khu",
    "office": "các đơn vị sự nghiệp công lập",
    "other": "các cơ quan Trung ương đóng trên địa bàn tỉnh",
}


def _actor(username: str | None) -> User:
    q = select(User).where(User.is_active, User.role.in_((Role.ADMIN, Role.ASSESSOR)))
    q = q.where(User.username == username) if username else q.where(User.role == Role.ADMIN)
    user = db.session.scalar(q.order_by(User.id).limit(1))
    if user is None:
        fail("không có quản trị viên / thẩm định viên đang hoạt động với tên này / "
             f"no active admin or assessor: {username or '(admin)'}")
    return user


@indicators_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--year", type=int, required=True, help="Năm của bộ chỉ số.")
@click.option("--group", "group", type=click.Choice(sorted(UNIT_GROUPS)), required=True,
              help="Nhóm đơn vị.")
@click.option("--name", default=None, help="Tên bộ chỉ số (mặc định: Bộ chỉ số <nhóm> năm <năm>).")
@click.option("--user", "username", default=None,
              help="Tài khoản quản trị hoặc thẩm định ghi vào nhật ký (mặc định: quản trị viên đầu tiên).")
def import_set(path: Path, year: int, group: str, name: str | None, username: str | None) -> None:
    """Create a new draft set (a new version when the year and group have one) with the
    criteria tree of the XLSX file PATH; its maximum is the sum of the fields. Prints each
    row's error and exits 2 when the file is wrong; nothing is written then."""
    if not path.is_file():
        fail(f"không có tệp / no such file: {path}")
    with path.open("rb") as f:
        data = f.read(setfile.MAX_FILE_BYTES + 1)
    parsed = setfile.read(path.name, data)
    if parsed.errors:
        for e in parsed.errors:
            click.echo(e, err=True)
        fail(f"{len(parsed.errors)} lỗi, không nhập gì / errors, nothing imported")
    actor = _actor(username)
    try:
        s = commands.create_set(actor, commands.SetInput(
            name or f"Bộ chỉ số {GROUP_NAMES[group]} năm {year}", year, group, parsed.total))
        count = setfile.import_rows(actor, s.id, parsed.rows)
        label = f"{s.name} (id {s.id}, phiên bản / version {s.version})"
        total = parsed.total
    except RuleViolation as e:
        fail("; ".join(str(getattr(v, "message", v)) for v in (getattr(e, "violations", None) or [e])))
    db.session.commit()
    click.echo(f"Đã nhập / imported {count} tiêu chí / criteria, {Decimal(total).normalize():f} "
               f"điểm / points: {label} — bản nháp / draft.")


@indicators_cli.command("export")
@click.option("--year", type=int, required=True, help="Năm của bộ chỉ số.")
@click.option("--group", "group", type=click.Choice(sorted(UNIT_GROUPS)), required=True,
              help="Nhóm đơn vị.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Tệp XLSX ghi ra.")
def export_set(year: int, group: str, output: Path) -> None:
    """Write the criteria tree of the latest version of the set (draft or published)."""
    s = db.session.scalar(select(IndicatorSet).where(
        IndicatorSet.year == year, IndicatorSet.unit_group == group)
        .order_by(IndicatorSet.version.desc()).limit(1))
    if s is None:
        fail(f"không có bộ chỉ số năm {year}, nhóm {group} / no indicator set")
    if not output.parent.is_dir():
        fail(f"không có thư mục / no such folder: {output.parent}")
    output.write_bytes(setfile.export_xlsx(s))
    click.echo(f"{output}: {len(setfile.export_rows(s.id))} tiêu chí / criteria, {s.name} "
               f"(phiên bản / version {s.version}, {s.status}).")
