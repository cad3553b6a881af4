"""Folding for search and Vietnamese collation for sorting."""

import unicodedata

import pytest

from app.domain.text import fold, normalize_space, person_sort_key, sort_key


@pytest.mark.parametrize("text, folded", [
    ("Cải cách", "cai cach"),
    ("Đăng", "dang"),
    ("đăng ký kết hôn", "dang ky ket hon"),
    ("ĐẮK LẮK", "dak lak"),
    ("Nguyễn Thị Hường", "nguyen thi huong"),
    ("  Sở   Nội\tvụ \n", "so noi vu"),
    # Punctuation becomes a space, in titles and queries alike.
    ("Quyết định 01/QĐ-UBND", "quyet dinh 01 qd ubnd"),
    ("", ""),
    (None, ""),
])
def test_fold(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize("query, title", [
    ("cai cach", "Cải cách hành chính"),
    ("dang", "Đăng ký kết hôn trực tuyến"),
    ("dang", "Phạm Văn Đăng"),
    ("CẢI CÁCH", "Đẩy mạnh cải cách thủ tục"),
    ("hanh chinh", "CẢI CÁCH HÀNH CHÍNH"),
])
def test_a_folded_query_is_found_in_the_folded_text(query, title):
    assert fold(query) in fold(title)


@pytest.mark.parametrize("text", ["Cải cách", "Đăng ký", "Nguyễn Thị Hường", "Trường Sa",
                                  "kỹ thuật số", "Ủy ban nhân dân"])
def test_decomposed_input_folds_and_sorts_like_composed_input(text):
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    assert fold(nfd) == fold(text)
    assert sort_key(nfd) == sort_key(text)
    assert normalize_space(nfd) == text


# Each list is in Vietnamese alphabetical order.
ORDERED = [
    ["a", "ă", "â", "b"],
    ["an", "ăn", "ân", "ban"],
    ["d", "đ", "e"],
    ["Dung", "Dũng", "Đặng", "Đinh"],
    ["e", "ê", "g"],
    ["o", "ô", "ơ", "p"],
    ["u", "ư", "v"],
    # Tones: ngang < huyền < hỏi < ngã < sắc < nặng.
    ["ma", "mà", "mả", "mã", "má", "mạ"],
    ["Hùng", "Hưng", "Hứng"],
    # Letters count before tones: "mạ" < "man".
    ["mạ", "man"],
    # A word is a prefix: "An" < "An Bình" < "Anh".
    ["An", "An Bình", "Anh"],
    # Digits before letters, and numbers of the same length in order.
    ["1 tháng", "2 tháng", "a"],
]


@pytest.mark.parametrize("words", ORDERED, ids=["-".join(w) for w in ORDERED])
def test_sort_key_follows_the_vietnamese_alphabet(words):
    assert sorted(words, key=sort_key) == words
    assert sorted(words, key=sort_key) == words


def test_dang_sorts_after_dung():
    assert sort_key("Đặng") > sort_key("Dung")
    assert sort_key("Đặng") > sort_key("Dương")
    assert sort_key("Đặng") < sort_key("Em")


def test_sort_key_ignores_case_and_spacing():
    assert sort_key("  cải   CÁCH ") == sort_key("Cải cách")


def test_sort_key_is_only_ascii_digits_so_every_collation_agrees():
    key = sort_key("Ủy ban nhân dân tỉnh Đắk Lắk")
    assert key.isdigit() and key.isascii()
    assert len(sort_key("Nguyễn " * 100)) <= 250


@pytest.mark.parametrize("name, key_of", [
    ("Trần Văn Hùng", "Hùng Trần Văn"),
    ("Lê Thị Mai", "Mai Lê Thị"),
    ("Bình", "Bình"),
])
def test_person_sort_key_puts_the_given_name_first(name, key_of):
    assert person_sort_key(name) == sort_key(key_of)


def test_people_sort_by_given_name_then_family_name():
    names = ["Trần Văn Hùng", "Lê Thị Mai", "Phạm Văn Đăng", "Ngô Thị Lan", "Võ Văn Bình",
             "Đỗ Thị Cúc", "Hồ Văn Cường", "Nguyễn Văn An", "Bùi Văn An"]
    assert sorted(names, key=person_sort_key) == [
        "Bùi Văn An", "Nguyễn Văn An", "Võ Văn Bình", "Đỗ Thị Cúc", "Hồ Văn Cường",
        "Phạm Văn Đăng", "Trần Văn Hùng", "Ngô Thị Lan", "Lê Thị Mai"]
