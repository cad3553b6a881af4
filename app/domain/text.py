"""Vietnamese text helpers: folding for search and a collation key for sorting."""

import unicodedata

from vn_text import fold as _vn_fold

# Vietnamese alphabet order (with the Latin letters used in foreign names slotted in).
_ALPHABET = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m",
    "n", "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
]
# Two-digit codes: "00" separates words, digits take 01-10, letters 11 onwards.
# A key made only of ASCII digits sorts identically under every database collation.
_CODE = {ch: f"{11 + i:02d}" for i, ch in enumerate(_ALPHABET)}
_CODE.update({str(d): f"{d + 1:02d}" for d in range(10)})
_QUALITY = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê",
            ("o", "\u0302"): "ô", ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}
# Tone order of Vietnamese dictionaries: ngang, huyền, hỏi, ngã, sắc, nặng.
_TONE = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}


def normalize_space(text: str) -> str:
    """NFC, with runs of whitespace collapsed to one space and the ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def fold(text: str) -> str:
    """Lower-case, diacritic-free form used for search ("Đăng" -> "dang")."""
    return " ".join(_vn_fold(unicodedata.normalize("NFC", text or "")).split())


def _word_key(word: str) -> tuple[str, str]:
    primary: list[str] = []
    tones: list[str] = []
    chars = unicodedata.normalize("NFD", word.lower())
    i = 0
    while i < len(chars):
        base = chars[i]
        i += 1
        tone = "0"
        while i < len(chars) and unicodedata.combining(chars[i]):
            mark = chars[i]
            if (base, mark) in _QUALITY:
                base = _QUALITY[(base, mark)]
            elif mark in _TONE:
                tone = _TONE[mark]
            elif base == "d" and mark == "\u0335":
                base = "đ"
            i += 1
        code = _CODE.get(base)
        if code is None:
            continue
        primary.append(code)
        if not base.isdigit():
            tones.append(tone)
    return "".join(primary), "".join(tones)


def sort_key(text: str, max_length: int = 250) -> str:
    """A string of digits that sorts text in Vietnamese alphabetical order.

    Letters compare first (a < ă < â < b ... d < đ), then tones
    (ngang < huyền < hỏi < ngã < sắc < nặng), word by word. The key takes at most
    three digits a character plus four; it is cut at `max_length` (names: 250).
    """
    words = normalize_space(text).split()
    keys = [_word_key(w) for w in words]
    primary = "00".join(k[0] for k in keys)
    tones = "0".join(k[1] for k in keys)
    return (primary + "0000" + tones)[:max_length]


def person_sort_key(full_name: str) -> str:
    """Vietnamese lists of people sort by given name (the last word), then the rest."""
    words = normalize_space(full_name).split()
    if len(words) > 1:
        words = [words[-1], *words[:-1]]
    return sort_key(" ".join(words))
