"""Reading an uploaded file in a separate process, under a time and a memory limit (issue 14):
a hostile file (200 ranges merged down to row 1,048,576, 16 M empty cells) can cost a parser
seconds or gigabytes; it costs the web worker at most PARSE_SECONDS, and nothing of its memory.

The process is forked from a fork server started once (multiprocessing's "forkserver", the
reader's modules preloaded), not from the web worker: it inherits no thread, lock or database
connection, starts in milliseconds, and is killed when the time is up. It sends back what was
read as JSON (the form uploads are kept in) and its memory peak."""

import logging
import multiprocessing
import resource
import time
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import gettext as _

from app.plans.importing.columns import Issue, translated
from app.plans.importing.reader import Sheet, read_sheet, sheet_from_json, sheet_to_json

log = logging.getLogger(__name__)

# How long a file may take to read, and the memory (address space) its process may use.
PARSE_SECONDS = 8.0
PARSE_MEMORY_BYTES = 2 * 1024 * 1024 * 1024

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["app.plans.importing.reader"])


@dataclass
class ParseStats:
    """The last file read in a separate process: how long it took and its memory peak."""

    seconds: float = 0.0
    peak_kb: int = 0
    timed_out: bool = False


last = ParseStats()


def _child(conn, data: bytes, memory: int, seconds: float) -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        # The processor time too (the parent kills it after `seconds` of wall clock anyway).
        cpu = int(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        try:
            sheet = read_sheet(data)
            body = sheet_to_json(sheet)
            issues = [(i.msgid, list(i.params), i.message) for i in sheet.issues]
            reply = ("ok", body, issues)
        except MemoryError:
            reply = ("memory", "", [])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        conn.send((*reply, peak))
    finally:
        conn.close()


def _limits() -> tuple[float, int]:
    if has_app_context():
        return (float(current_app.config.get("IMPORT_PARSE_SECONDS", PARSE_SECONDS)),
                int(current_app.config.get("IMPORT_PARSE_MEMORY", PARSE_MEMORY_BYTES)))
    return PARSE_SECONDS, PARSE_MEMORY_BYTES


def read_isolated(data: bytes) -> Sheet:
    """`read_sheet(data)` in a separate process: killed after the time limit, refused with a
    clear message when it runs out of time or memory. Messages come back in the user's language."""
    seconds, memory = _limits()
    last.peak_kb = 0
    started = time.perf_counter()
    receive, send = _context.Pipe(duplex=False)
    process = _context.Process(target=_child, args=(send, data, memory, seconds), daemon=True)
    process.start()
    send.close()
    reply = None
    try:
        if receive.poll(seconds):
            reply = receive.recv()
    except (EOFError, OSError):
        reply = None
    finally:
        receive.close()
        if process.is_alive():
            process.kill()
        process.join(2)
    last.seconds = time.perf_counter() - started
    last.timed_out = reply is None and last.seconds >= seconds
    if reply is None:
        log.warning("plan file not read in %.1f s (exit %s)", last.seconds, process.exitcode)
        if last.timed_out:
            return Sheet(issues=[Issue(_("The file took more than %(n)s seconds to read: it "
                                         "cannot be imported. Copy the plan's table into a new "
                                         "workbook or document.", n=f"{seconds:g}"))])
        return Sheet(issues=[_too_large()])
    status, body, issues, peak = reply
    last.peak_kb = peak
    if status == "memory":
        return Sheet(issues=[_too_large()])
    sheet = sheet_from_json(body)
    sheet.issues = [translated(Issue(message, msgid=msgid, params=tuple(tuple(p) for p in params)))
                    for msgid, params, message in issues]
    return sheet


def _too_large() -> Issue:
    return Issue(_("The file needs too much memory to read: it cannot be imported. Copy the "
                   "plan's table into a new workbook or document."))
