"""Uploads and import (ASVS V5.2, V5.3, V5.4): wrong content behind a right extension is
refused; an upload over MAX_CONTENT_LENGTH answers 413; 0 files are written outside the
upload folder whatever the name (../, NUL, backslashes, unicode, control characters);
downloads are attachments with nosniff; zip bombs (huge declared size, or a huge central
directory) and XML entity bombs, as evidence (.docx/.xlsx) and as a plan import (.xlsx),
are refused within 2 s and 100 MB.

Evidence files are only ever judged by their zip central directory (and the first kilobyte of
each XML part); no member is unpacked whole (app/services/evidence.py).

Figure: refused N of N disguised files; 413; 0 files outside; bombs refused in X s, Y MB."""

import io
import os
import re
import time
import tracemalloc
import zipfile
import zlib
from functools import cache
from pathlib import Path

import pytest
from rel_support import PDF, PNG, figure, row_counts
from sqlalchemy import select

from app.extensions import db
from app.models import Evidence
from app.plans.importing import isolation
from tests.settings_support import override_settings

HEX = re.compile(r"^[0-9a-f]{32}$")
STATS = {"disguised": 0, "refused": 0}


def _zip(parts: dict, stored: bool = False) -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return b.getvalue()


DOCX = _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
XLSX = _zip({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})

DISGUISED = {
    "exe.pdf": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
    "page.png": b"<!doctype html><html><script>alert(1)</script></html>",
    "page.jpg": b"<html><body onload=alert(1)>",
    "plain-zip.docx": _zip({"readme.txt": "not a document"}),
    "plain-zip.xlsx": _zip({"a/b.txt": "x"}),
    "pdf.docx": PDF,
    "svg.png": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "gif-polyglot.jpg": b"GIF89a/*<script>alert(1)</script>*/",
    "docx.pdf": DOCX,
    "empty.pdf": b"",
    "script.js.pdf": b"alert(1)",
}


def _progress(client, task_id, files, percent="30"):
    return client.post(f"/tasks/{task_id}/progress", data={
        "percent": percent, "note": "Báo cáo kèm tệp",
        "files": [(io.BytesIO(data), name) for name, data in files]})


def _files_under(root: Path, skip: Path) -> set:
    out = set()
    for p in root.rglob("*"):
        if p.is_file() and skip not in p.parents:
            out.add(str(p))
    return out


def test_wrong_content_behind_a_right_extension_is_refused(sw):
    w = sw.w
    c = sw.client("staff")
    folder = Path(sw.app.config["UPLOAD_FOLDER"])
    before_files = set(os.listdir(folder))
    before = row_counts()
    refused = []
    for name, data in DISGUISED.items():
        resp = _progress(c, w.task.id, [(name, data)])
        if resp.status_code == 422:
            refused.append(name)
    assert row_counts() == before
    assert set(os.listdir(folder)) == before_files
    STATS["disguised"] += len(DISGUISED)
    STATS["refused"] += len(refused)
    figure("uploads", f"disguised files refused {len(refused)} of {len(DISGUISED)} "
                      f"(exe as .pdf, HTML as .png/.jpg, plain zip as .docx/.xlsx, ...); "
                      f"0 rows, 0 files written")
    assert sorted(refused) == sorted(DISGUISED)
    # the control: the real thing goes in
    assert _progress(c, w.task.id, [("that.pdf", PDF), ("anh.png", PNG), ("d.docx", DOCX),
                                    ("s.xlsx", XLSX)]).status_code == 302


def test_oversize_is_413_and_writes_nothing(sw, monkeypatch):
    monkeypatch.setitem(sw.app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    w = sw.w
    c = sw.client("staff")
    before = row_counts()
    folder = Path(sw.app.config["UPLOAD_FOLDER"])
    files = set(os.listdir(folder))
    big = PDF + b"0" * (1024 * 1024)
    resp = _progress(c, w.task.id, [("lon.pdf", big)])
    assert resp.status_code == 413
    assert "Traceback" not in resp.get_data(as_text=True)
    # the per-file limit inside a request that fits: 422, nothing kept
    monkeypatch.setitem(sw.app.config, "MAX_CONTENT_LENGTH", 64 * 1024 * 1024)
    override_settings(monkeypatch, sw.app, MAX_EVIDENCE_BYTES=512 * 1024)
    resp = _progress(c, w.task.id, [("nho.pdf", PDF), ("lon.pdf", big)])
    assert resp.status_code == 422
    assert row_counts() == before and set(os.listdir(folder)) == files
    figure("uploads", "1 MB + 1 byte over MAX_CONTENT_LENGTH: 413; a file over "
                      "MAX_EVIDENCE_BYTES: 422; 0 rows, 0 files")


EVIL_NAMES = ["../../x.pdf", "..\\..\\x.pdf", "/etc/passwd.pdf", "x.pdf\x00.exe.pdf",
              "báo cáo tháng 6 năm 2026.pdf", "CON.pdf", "a" * 300 + ".pdf", ".htaccess.pdf",
              "\u202egnp.pdf", "<script>alert(1)</script>.pdf", "x\r\nSet-Cookie: a=b.pdf",
              "....//....//x.pdf", "%2e%2e%2fx.pdf", "ｘ．pdf.pdf"]


def test_no_file_is_written_outside_the_upload_folder(sw):
    w = sw.w
    folder = Path(sw.app.config["UPLOAD_FOLDER"]).resolve()
    outside_root = folder.parent
    before = _files_under(outside_root, folder)
    cwd_before = set(os.listdir("."))
    c = sw.client("staff")
    stored = 0
    for name in EVIL_NAMES:
        resp = _progress(c, w.task.id, [(name, PDF)])
        assert resp.status_code in (302, 422), (name, resp.status_code)
        stored += resp.status_code == 302
    assert _files_under(outside_root, folder) == before
    assert set(os.listdir(".")) == cwd_before
    assert not Path("/tmp/x.pdf").exists() and not (folder.parent.parent / "x.pdf").exists()
    names = os.listdir(folder)
    assert all(HEX.match(n) for n in names), [n for n in names if not HEX.match(n)]
    db.session.rollback()
    originals = db.session.scalars(select(Evidence.original_name)).all()
    for n in originals:
        assert "/" not in n and "\\" not in n and "\x00" not in n and not n.startswith(".")
        assert not any(ord(ch) < 32 for ch in n), n
        assert len(n) <= 150
    figure("uploads", f"{len(EVIL_NAMES)} hostile file names ({stored} stored): 0 files outside "
                      f"the upload folder; stored names all 32 hex digits")


def test_downloads_are_attachments_with_nosniff(sw):
    w = sw.w
    c = sw.client("staff")
    _progress(c, w.task.id, [("<b>báo cáo</b>.pdf", PDF), ("anh.png", PNG), ("d.docx", DOCX)])
    db.session.rollback()
    rows = db.session.execute(select(Evidence.id, Evidence.task_id, Evidence.content_type)).all()
    checked = 0
    for role in ("staff", "head", "admin"):
        client = sw.client(role)
        for eid, tid, ctype in rows:
            resp = client.get(f"/tasks/{tid}/evidence/{eid}")
            if resp.status_code == 404:
                resp.close()
                continue
            assert resp.status_code == 200
            cd = resp.headers.get("Content-Disposition", "")
            assert cd.startswith("attachment;"), cd
            assert "inline" not in cd
            assert resp.headers.get("X-Content-Type-Options") == "nosniff"
            assert resp.mimetype == ctype
            assert resp.headers.get("Cache-Control", "").find("no-store") >= 0 or \
                "max-age=0" in resp.headers.get("Cache-Control", "")
            resp.close()
            checked += 1
    figure("uploads", f"{checked} downloads: all attachment, nosniff, stored content type")


# ---- bombs ---------------------------------------------------------------------------

@cache
def deflate_bomb(ext: str, unpacked_mb: int = 512) -> bytes:
    """A real zip bomb: one member of `unpacked_mb` MB of zeros, deflated to about 1/1000."""
    part = {"docx": "word/document.xml", "xlsx": "xl/worksheets/sheet1.xml"}[ext]
    chunk = b"\x00" * (1024 * 1024)
    # Blocks ended by a full flush refer to nothing before them: one megabyte deflated once,
    # repeated, then an empty final block, is a valid stream of `unpacked_mb` megabytes.
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    raw = segment * unpacked_mb + zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = 0
    for _ in range(unpacked_mb):
        crc = zlib.crc32(chunk, crc)
    size = unpacked_mb * 1024 * 1024
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr({"docx": "word/_rels/document.xml.rels",
                    "xlsx": "xl/workbook.xml"}[ext], "<x/>")
        info = zipfile.ZipInfo(part)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size, info.compress_size, info.CRC = size, len(raw), crc
        offset = b.tell()
        b.write(info.FileHeader(zip64=False))
        b.write(raw)
        info.header_offset = offset
        z.filelist.append(info)
        z.NameToInfo[info.filename] = info
        z.start_dir = b.tell()
    return b.getvalue()


@cache
def many_entries(ext: str, n: int) -> bytes:
    """A valid zip whose central directory lists `n` empty entries (written directly: the
    zipfile module takes seconds for this many)."""
    import struct

    part = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}[ext]
    names = ["[Content_Types].xml", part] + [f"{i:x}" for i in range(n)]
    local, central, offset = [], [], 0
    for name in names:
        raw = name.encode()
        header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0,
                             len(raw), 0) + raw
        central.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 0, 0, 0,
                                   0, 0, 0, len(raw), 0, 0, 0, 0, 0, offset) + raw)
        local.append(header)
        offset += len(header)
    directory = b"".join(central)
    count = min(len(names), 0xFFFF)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(directory),
                      offset, 0)
    return b"".join(local) + directory + end


LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
                    for i in range(1, 10))
          + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
            '</sheetData></worksheet>')


@cache
def laughs(ext: str) -> bytes:
    from openpyxl import Workbook

    if ext == "docx":
        return _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": LAUGHS})
    wb = Workbook()
    wb.active["A1"] = "x"
    out = io.BytesIO()
    wb.save(out)
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    return _zip({n: (LAUGHS if n == "xl/worksheets/sheet1.xml" else src.read(n))
                 for n in src.namelist()})


BOMBS = {
    "512 MB zip bomb": deflate_bomb,
    "120,000-entry directory": lambda ext: many_entries(ext, 120_000),
    "billion laughs": laughs,
}


def _measure(fn):
    """(CPU seconds, answer) of one run, then the peak of Python allocations in MB of another.
    CPU time of this process, not wall time: the bound is on the work a bomb makes the app do,
    which other work on a loaded machine does not change (wall time is the benchmark's)."""
    start = time.process_time()
    answer = fn()
    seconds = time.process_time() - start
    tracemalloc.start()
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    return seconds, peak, answer


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_bombs_are_refused_quickly_and_in_little_memory(sw, bomb):
    w = sw.w
    staff, head = sw.client("staff"), sw.client("head")
    ext_seconds, worst_mb = [], 0.0
    before = row_counts()
    for ext in ("docx", "xlsx"):
        data = BOMBS[bomb](ext)
        seconds, mb, resp = _measure(lambda data=data, ext=ext: _progress(
            staff, w.task.id, [(f"bom.{ext}", data)]))
        assert resp.status_code == 422, (bomb, ext, resp.status_code)
        ext_seconds.append(seconds)
        worst_mb = max(worst_mb, mb)
    # the plan import reads .xlsx with openpyxl: the bomb must be refused before that
    data = BOMBS[bomb]("xlsx")
    seconds, mb, resp = _measure(lambda: head.post(
        f"/plans/{w.plan.id}/import", data={"file": (io.BytesIO(data), "ke-hoach.xlsx")}))
    assert resp.status_code == 422, (bomb, "import", resp.status_code)
    # read in a process of its own (isolation.py): refused by the file's checks there, not
    # killed at the time limit
    assert not isolation.last.timed_out, (bomb, "import", isolation.last.seconds)
    ext_seconds.append(seconds)
    worst_mb = max(worst_mb, mb)
    assert row_counts() == before
    figure("uploads", f"{bomb} (.docx and .xlsx evidence, .xlsx import): refused in at most "
                      f"{max(ext_seconds):.2f} s of CPU, peak {worst_mb:.0f} MB of Python allocations")
    assert max(ext_seconds) < 2.0 and worst_mb < 100


def _field_error(html: str, field_id: str) -> str:
    """The invalid-feedback text right after the field (the message beside it)."""
    m = re.search(rf'id="{field_id}"[^>]*>.*?<div class="invalid-feedback[^"]*"[^>]*>(.*?)</div>',
                  html, re.DOTALL)
    return re.sub(r"\s+", " ", m.group(1)).strip() if m else ""


def test_evidence_caps_refuse_the_probes_200_files(sw, monkeypatch):
    """Issue 18.3: the probe posted 200 files in one progress report (accepted, repeatable).
    Files per post, evidence bytes per task and per person in 24 hours are capped
    (MAX_EVIDENCE_FILES_PER_REQUEST, _BYTES_PER_TASK, _BYTES_PER_DAY); a refusal is a 422
    with a Vietnamese message beside the file field, and writes nothing (neither the
    progress report nor a file)."""
    import html as html_lib

    w = sw.w
    cfg = sw.app.config
    c = sw.client("staff")
    folder = Path(cfg["UPLOAD_FOLDER"])
    before, files = row_counts(), set(os.listdir(folder))
    resp = _progress(c, w.task.id, [(f"minh-chung-{i}.pdf", PDF) for i in range(200)])
    page = html_lib.unescape(resp.get_data(as_text=True))
    assert resp.status_code == 422
    beside = _field_error(page, "files")
    most = cfg["MAX_EVIDENCE_FILES_PER_REQUEST"]
    assert f"Mỗi lần chỉ được đính kèm tối đa {most} tệp" in beside, beside
    assert row_counts() == before and set(os.listdir(folder)) == files
    # the cap itself goes in
    assert _progress(c, w.task.id, [(f"tep-{i}.pdf", PDF) for i in range(most)]).status_code == 302

    # per task: the task's evidence plus these files may not pass the cap
    on_task = sum(db.session.scalars(select(Evidence.size_bytes).where(Evidence.task_id == w.task.id)))
    db.session.rollback()
    override_settings(monkeypatch, sw.app, MAX_EVIDENCE_BYTES_PER_TASK=on_task + len(PDF))
    before, files = row_counts(), set(os.listdir(folder))
    resp = _progress(c, w.task.id, [("a.pdf", PDF), ("b.pdf", PDF)])
    beside = _field_error(html_lib.unescape(resp.get_data(as_text=True)), "files")
    assert resp.status_code == 422 and "Nhiệm vụ này đã có" in beside, beside
    assert row_counts() == before and set(os.listdir(folder)) == files
    assert _progress(c, w.task.id, [("a.pdf", PDF)]).status_code == 302  # exactly up to the cap

    # per person and 24 hours, over every task: staff_a is refused, staff_a2 is not
    mine = sum(db.session.scalars(select(Evidence.size_bytes)
                                  .where(Evidence.uploaded_by_id == w.staff.id)))
    db.session.rollback()
    override_settings(monkeypatch, sw.app, MAX_EVIDENCE_BYTES_PER_TASK=10**9)
    override_settings(monkeypatch, sw.app, MAX_EVIDENCE_BYTES_PER_DAY=mine + len(PNG))
    before = row_counts()
    resp = _progress(c, w.task.id, [("anh.png", PNG), ("b.pdf", PDF)])
    beside = _field_error(html_lib.unescape(resp.get_data(as_text=True)), "files")
    assert resp.status_code == 422 and "trong 24 giờ qua" in beside, beside
    assert row_counts() == before
    assert _progress(sw.client("staff2"), w.task2.id, [("b.pdf", PDF)]).status_code == 302
    figure("uploads", f"the probe's 200 files in one report: 422 beside the file field, 0 rows, "
                      f"0 files; {most} files go in; the per-task and per-person-per-day caps "
                      f"refuse past their limit and accept up to it")
