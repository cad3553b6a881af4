"""Chart labels fit their margin: measured, cut with an ellipsis when too wide, the whole
name in a tooltip; nothing is cut at the chart's edge."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from app.reports import charts

NS = "{http://www.w3.org/2000/svg}"
LONG = "Phòng Tổ chức, biên chế và tổ chức phi chính phủ"
WARD = "UBND Phường Buôn Ma Thuột"  # 179 px at 12 px in DejaVu Sans: was cut to "BND …"


# The widths Chromium measures with DejaVu Sans (canvas measureText).
@pytest.mark.parametrize("text, size, width", [
    ("", 12, 0), ("i", 12, 3.336), ("W", 10, 9.89), ("Sở Nội vụ", 12, 56.947), (WARD, 12, 178.62),
    ("ĐƯỜNG", 11, 44.757),
])
def test_text_width_uses_the_widest_common_font(text, size, width):
    assert charts.text_width(text, size) == pytest.approx(width, abs=0.05)  # widths rounded per character


def labels(svg: str) -> list[ET.Element]:
    """The label of each row: the first <text> of each chart row."""
    root = ET.fromstring(svg)
    return [next(g.iter(f"{NS}text")) for g in root.iter(f"{NS}g") if g.get("class") == "chart-row"]


def shown(label: ET.Element) -> str:
    """The text drawn (the label's tooltip excluded)."""
    tip = label.find(f"{NS}title")
    return "".join(label.itertext())[len(tip.text) if tip is not None else 0:]


@pytest.mark.parametrize("chart", ["rates", "mix"])
def test_every_label_fits_its_margin_and_long_ones_keep_the_name_in_a_tooltip(chart):
    names = [WARD, LONG, "Sở Nội vụ", "W" * 40, "Ủy ban nhân dân xã Ea Kao, thành phố Buôn Ma Thuột"]
    if chart == "rates":
        svg = charts.rate_bars("c", [charts.RateItem(n, Decimal(50), Decimal(40), "/x") for n in names],
                               "t", "done", "on time", "none")
    else:
        svg = charts.mix_bars("c", [charts.MixItem(n, (1, 1, 1, 1), "/x") for n in names],
                              "t", ["a", "b", "c", "d"], "none")
    got = labels(svg)
    assert len(got) == len(names)
    by_text = {}
    for label in got:
        text = shown(label)
        assert label.get("text-anchor") == "end" and float(label.get("x")) == charts.LABEL_W
        # Right-aligned at LABEL_W: it starts at LABEL_W - width, which must not be negative.
        assert charts.text_width(text) <= charts.LABEL_W - charts.LABEL_PAD, text
        tip = label.find(f"{NS}title")
        if text.endswith("…"):
            assert tip is not None and tip.text.startswith(text[:-1].rstrip())
            by_text[tip.text] = text
        else:
            assert tip is None
            by_text[text] = text
    assert set(by_text) == set(names)
    assert by_text[WARD] == WARD and by_text["Sở Nội vụ"] == "Sở Nội vụ"  # short enough: whole
    assert by_text[LONG].endswith("…") and by_text[LONG].startswith("Phòng Tổ chức")
    assert by_text["W" * 40].endswith("…")


def test_a_clipped_label_keeps_as_many_characters_as_fit():
    clipped = charts._clip(LONG, 120)
    assert charts.text_width(clipped) <= 120
    following = LONG[len(clipped) - 1]
    assert charts.text_width(clipped[:-1] + following + "…") > 120


def test_the_trend_s_band_labels_fit_the_right_margin():
    band = "Hoàn thành xuất sắc nhiệm vụ được giao trong năm"
    root = ET.fromstring(charts.trend_line("c", [("T1", Decimal(80)), ("T2", Decimal(90))], "t",
                                           [(Decimal(90), band), (Decimal(70), "Tốt")], "none"))
    texts = [t for t in root.iter(f"{NS}text") if t.get("font-size") == "11" and t.get("fill")]
    drawn = {shown(t): t for t in texts}
    assert "Tốt" in drawn
    long = next(t for s, t in drawn.items() if s.endswith("…"))
    assert long.find(f"{NS}title").text == band
    room = charts.TREND_WIDTH - float(long.get("x"))
    assert charts.text_width(shown(long), 11) <= room
