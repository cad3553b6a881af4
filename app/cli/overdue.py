"""`flask overdue`: the overdue engine, once, now."""

from datetime import date

import click
from flask.cli import AppGroup

from app.cli.common import fail
from app.clock import local_today
from app.deadlines import sweep as overdue
from app.extensions import db
from app.notifications import mail
from app.settings import current_settings

overdue_cli = AppGroup("overdue", help="The overdue engine.")


@overdue_cli.command("sweep")
@click.option("--today", "today_text", default=None, metavar="YYYY-MM-DD",
              help="Judge as of this date (default: today in Asia/Ho_Chi_Minh).")
def overdue_sweep(today_text: str | None) -> None:
    """Flag overdue tasks and send due reminders once, now."""
    if today_text is not None:  # an empty --today is a mistake, not "today"
        try:
            today = date.fromisoformat(today_text)
        except ValueError:
            fail(f"ngày không hợp lệ, cần dạng YYYY-MM-DD / not a date (YYYY-MM-DD): {today_text}")
    else:
        today = local_today()
    settings = current_settings()
    result = overdue.sweep(today, reminders=settings.reminders)
    db.session.commit()
    sent = mail.send_pending(settings.mail)
    db.session.commit()
    click.echo(f"Ngày {today:%d/%m/%Y}: gắn cờ quá hạn {result.flagged} nhiệm vụ; "
               f"gửi {result.due_soon} nhắc sắp đến hạn, {result.overdue} thông báo quá hạn, "
               f"{result.escalated} báo cáo vượt cấp; {sent} email.")
    click.echo(f"As of {today.isoformat()}: flagged {result.flagged}; sent due_soon={result.due_soon} "
               f"overdue={result.overdue} escalated={result.escalated} emails={sent}; "
               f"{result.statements} SQL statements.")
