"""Server-rendered SVG charts a head reads in five seconds. Pure functions: they take
values and the (already translated) words to show and return SVG markup in which every
text went through markupsafe.escape, so a template may print the result with |safe.
No script and no style attribute: the page's CSP forbids both; colours are SVG
presentation attributes."""

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import escape

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
# Bar charts sit in half-width cards, the trend across the page: each drawn at about the
# size it is shown, so that 12-unit text stays readable.
WIDTH = 560
TREND_WIDTH = 760
LABEL_W = 190
LABEL_PAD = 4  # pixels kept free between a label and the chart's edge
INK, MUTED, GRID = "#212529", "#6c757d", "#dee2e6"
COMPLETION, ON_TIME_RATE = "#0b4f8a", "#2e9d5b"
# The timeliness mix, in the colours of the page's badges.
MIX_COLORS = ("#198754", "#e0a800", "#dc3545", "#9ec5fe")
TREND = "#0b4f8a"


def _e(text) -> str:
    return str(escape(text))


# Advance widths (thousandths of the font size) of DejaVu Sans, the widest of the usual
# system fonts and the one Linux desktops fall back to: a label measured with it fits in
# Segoe UI, Roboto or Arial too. A label right-aligned at the left margin that is wider than
# the margin is cut at the chart's edge ("UBND Phường Buôn Ma Thuột" lost its "U" at 12 px:
# 179 px wide in 170). Measured in Chromium; Vietnamese letters take their base letter's
# width (Ơ and Ư for the letters with a horn).
_ASCII = ("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
          "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ")
_ASCII_W = (636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 613, 635, 550, 635, 615, 352, 635,
            634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592,
            592, 525, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
            603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 401, 460, 838, 636, 950, 780,
            275, 390, 390, 500, 838, 318, 361, 318, 337, 337, 337, 838, 838, 838, 531, 1000, 390,
            337, 390, 838, 500, 500, 636, 337, 636, 838, 318)
_WIDTHS = dict(zip(_ASCII, _ASCII_W, strict=True)) | {"Đ": 775, "đ": 635, "Ơ": 913, "Ư": 858,
                                                      "ơ": 612, "ư": 634, "…": 1000}
_UNKNOWN_W = 1000  # any other character: as wide as a capital W, so never under-measured


def _char_width(ch: str) -> int:
    w = _WIDTHS.get(ch)
    if w is None:
        # A letter with tone marks is as wide as its base letter, the horn included (Ờ as Ơ).
        d = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", d[0] + "\u031b") if "\u031b" in d else d[:1]
        w = _WIDTHS.get(base, _UNKNOWN_W)
    return w


def text_width(text: str, size: float = 12) -> float:
    """The width in pixels of `text` at `size` px, measured with DejaVu Sans's widths."""
    return sum(_char_width(ch) for ch in text) * size / 1000


def _clip(text: str, width: float, size: float = 12) -> str:
    """SVG cannot wrap or shrink text: a label wider than `width` pixels is cut, with an
    ellipsis, at the last character that fits; the caller keeps the full name in a <title>."""
    text = " ".join(str(text).split())
    if text_width(text, size) <= width:
        return text
    room = width - text_width("…", size)
    out = []
    for ch in text:
        room -= _char_width(ch) * size / 1000
        if room < 0:
            break
        out.append(ch)
    return "".join(out).rstrip() + "…"


def _label(text: str, x: float, y: float, width: float, size: float = 12, **attrs: str) -> str:
    """A label at (x, y) clipped to `width` pixels; when clipped, its own <title> holds the
    whole text (a tooltip on hover)."""
    shown = _clip(text, width, size)
    extra = "".join(f' {k.replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    tip = f"<title>{_e(' '.join(str(text).split()))}</title>" if shown != " ".join(str(text).split()) else ""
    return f'<text x="{_n(x)}" y="{_n(y)}"{extra}>{tip}{_e(shown)}</text>'


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: list[str]) -> str:
    cid = _e(chart_id)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{cid}" '
            f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-labelledby="{cid}-title {cid}-desc" font-family="{_e(FONT)}" font-size="12" '
            f'fill="{INK}"><title id="{cid}-title">{_e(title)}</title>'
            f'<desc id="{cid}-desc">{_e(desc)}</desc>{"".join(body)}</svg>')


def _link(href: str | None, inner: str) -> str:
    return f'<a href="{_e(href)}">{inner}</a>' if href else inner


def _legend(items: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    out = []
    for color, label in items:
        out.append(f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{_n(x + 14)}" y="{_n(y)}">{_e(label)}</text>')
        x += 24 + 6.6 * len(label)
    return out


def _empty(chart_id: str, title: str, message: str) -> str:
    return _svg(chart_id, WIDTH, 40, title, message,
                [f'<text x="0" y="24" fill="{MUTED}">{_e(message)}</text>'])


@dataclass(frozen=True)
class RateItem:
    label: str
    completion: Decimal
    on_time: Decimal
    href: str | None = None


def rate_bars(chart_id: str, items: Sequence[RateItem], title: str, completion_label: str,
              on_time_label: str, empty: str, fmt: Callable = str) -> str:
    """Completion and on-time rate per unit: a pair of horizontal bars each, sorted from
    the highest completion rate down."""
    if not items:
        return _empty(chart_id, title, empty)
    rows = sorted(items, key=lambda i: (-i.completion, -i.on_time, i.label))
    top, row_h = 34, 34
    x0, x1 = LABEL_W + 10, WIDTH - 50
    span = x1 - x0
    height = top + row_h * len(rows) + 24
    body = _legend([(COMPLETION, completion_label), (ON_TIME_RATE, on_time_label)], x0, 14)
    for pct in (0, 50, 100):
        x = x0 + span * pct / 100
        body.append(f'<line x1="{_n(x)}" y1="{top - 6}" x2="{_n(x)}" y2="{height - 20}" '
                    f'stroke="{GRID}"/><text x="{_n(x)}" y="{height - 6}" text-anchor="middle" '
                    f'fill="{MUTED}">{pct}%</text>')
    for i, item in enumerate(rows):
        y = top + i * row_h
        parts = [(f'<title>{_e(item.label)}: {_e(completion_label)} {_e(fmt(item.completion))}%, '
                  f'{_e(on_time_label)} {_e(fmt(item.on_time))}%</title>'),
                 _label(item.label, LABEL_W, y + 16, LABEL_W - LABEL_PAD, text_anchor="end")]
        for j, (value, color) in enumerate(((item.completion, COMPLETION),
                                            (item.on_time, ON_TIME_RATE))):
            w = span * float(value) / 100
            by = y + 2 + j * 14
            parts.append(f'<rect x="{x0}" y="{by}" width="{_n(max(w, 0.5))}" height="12" '
                         f'fill="{color}"/><text x="{_n(x0 + w + 4)}" y="{by + 10}" '
                         f'font-size="11">{_e(fmt(value))}%</text>')
        body.append(f'<g class="chart-row">{_link(item.href, "".join(parts))}</g>')
    return _svg(chart_id, WIDTH, height, title,
                f"{completion_label}, {on_time_label}: {len(rows)}", body)


@dataclass(frozen=True)
class MixItem:
    label: str
    counts: tuple[int, int, int, int]   # on time, late, overdue, within
    href: str | None = None


def mix_bars(chart_id: str, items: Sequence[MixItem], title: str, labels: Sequence[str],
             empty: str) -> str:
    """The timeliness mix per unit: one bar of 100% each, stacked on time / late / overdue /
    within deadline, with the count in each part wide enough to hold it."""
    items = [i for i in items if sum(i.counts)]
    if not items:
        return _empty(chart_id, title, empty)
    top, row_h = 34, 26
    x0, x1 = LABEL_W + 10, WIDTH - 40
    span = x1 - x0
    height = top + row_h * len(items) + 8
    body = _legend(list(zip(MIX_COLORS, labels, strict=True)), 0, 14)
    for i, item in enumerate(items):
        y = top + i * row_h
        total = sum(item.counts)
        tip = ", ".join(f"{lab}: {n}" for lab, n in zip(labels, item.counts, strict=True))
        parts = [f'<title>{_e(item.label)} — {_e(tip)}</title>',
                 _label(item.label, LABEL_W, y + 13, LABEL_W - LABEL_PAD, text_anchor="end")]
        x = float(x0)
        for n, color in zip(item.counts, MIX_COLORS, strict=True):
            if not n:
                continue
            w = span * n / total
            parts.append(f'<rect x="{_n(x)}" y="{y}" width="{_n(w)}" height="18" fill="{color}"/>')
            if w >= 8 * len(str(n)) + 4:
                text_color = INK if color in (MIX_COLORS[1], MIX_COLORS[3]) else "#ffffff"
                parts.append(f'<text x="{_n(x + w / 2)}" y="{y + 13}" text-anchor="middle" '
                             f'font-size="11" fill="{text_color}">{n}</text>')
            x += w
        parts.append(f'<text x="{x1 + 6}" y="{y + 13}" fill="{MUTED}">{total}</text>')
        body.append(f'<g class="chart-row">{_link(item.href, "".join(parts))}</g>')
    return _svg(chart_id, WIDTH, height, title, ", ".join(labels), body)


def trend_line(chart_id: str, points: Sequence[tuple[str, Decimal | None]], title: str,
               bands: Sequence[tuple[Decimal, str]], empty: str, fmt: Callable = str) -> str:
    """A score (0–100) by month: a line through the months that have one, the grade
    thresholds as dashed guides; a month without a score leaves a gap."""
    if not any(v is not None for _, v in points):
        return _empty(chart_id, title, empty)
    height = 250
    left, right, top, bottom = 40, TREND_WIDTH - 150, 20, height - 34
    step = (right - left) / max(len(points) - 1, 1)

    def y(v) -> float:
        return bottom - (bottom - top) * float(v) / 100

    body = []
    for v in (0, 100):
        body.append(f'<line x1="{left}" y1="{_n(y(v))}" x2="{right}" y2="{_n(y(v))}" stroke="{GRID}"/>'
                    f'<text x="{left - 6}" y="{_n(y(v) + 4)}" text-anchor="end" fill="{MUTED}">{v}</text>')
    for v, label in bands:
        body.append(f'<line x1="{left}" y1="{_n(y(v))}" x2="{right}" y2="{_n(y(v))}" '
                    f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
                    f'<text x="{left - 6}" y="{_n(y(v) + 4)}" text-anchor="end" fill="{MUTED}">{_e(fmt(v))}</text>'
                    + _label(label, right + 6, y(v) + 4, TREND_WIDTH - right - 6 - LABEL_PAD, 11,
                             fill=MUTED, font_size="11"))
    segment: list[str] = []
    segments = []
    for i, (label, v) in enumerate(points):
        x = left + i * step
        body.append(f'<text x="{_n(x)}" y="{height - 14}" text-anchor="middle" fill="{MUTED}">'
                    f'{_e(label)}</text>')
        if v is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{_n(x)},{_n(y(v))}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            body.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{TREND}" '
                        f'stroke-width="2"/>')
    for i, (label, v) in enumerate(points):
        if v is None:
            continue
        x = left + i * step
        body.append(f'<g class="chart-point"><title>{_e(label)}: {_e(fmt(v))}</title>'
                    f'<circle cx="{_n(x)}" cy="{_n(y(v))}" r="4" fill="{TREND}"/>'
                    f'<text x="{_n(x)}" y="{_n(y(v) - 8)}" text-anchor="middle" font-size="11">'
                    f'{_e(fmt(v))}</text></g>')
    shown = sum(1 for _, v in points if v is not None)
    return _svg(chart_id, TREND_WIDTH, height, title, f"{shown}/{len(points)}", body)


__all__ = ["MixItem", "RateItem", "mix_bars", "rate_bars", "trend_line"]
