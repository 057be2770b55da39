"""Vietnamese alphabetical order without ICU: a sort key on the letters a ă â b c d đ e ê … y.

The primary key compares base letters in the Vietnamese alphabet (so "Đ" comes after every "D",
"Ô" after "O"), the secondary key compares tones in dictionary order (none, huyền, hỏi, ngã,
sắc, nặng) only when the letters are equal, as in Vietnamese dictionaries.
"""

from __future__ import annotations

import unicodedata

ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {letter: index + 1 for index, letter in enumerate(ALPHABET)}
# Letter-forming marks (they make another letter) and tone marks (second-level difference).
_LETTER_MARKS = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê", ("o", "\u0302"): "ô",
                 ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], str]:
    """Key for `sorted`: letters (Vietnamese order; digits and others after z), then tones, then the text."""
    letters: list[int] = []
    tones: list[int] = []
    for cluster in _clusters(unicodedata.normalize("NFD", text.lower())):
        base, marks = cluster[0], cluster[1:]
        tone = 0
        for mark in marks:
            if (base, mark) in _LETTER_MARKS:
                base = _LETTER_MARKS[(base, mark)]
            elif mark in _TONES:
                tone = _TONES[mark]
        if base in _RANK:
            letters.append(_RANK[base])
        elif base.isspace():
            letters.append(0)  # a word ends before any letter: "Ba Đình" < "Bac"
        else:
            letters.append(100 + ord(base))
        tones.append(tone)
    return tuple(letters), tuple(tones), text


def _clusters(decomposed: str) -> list[str]:
    """A base character with the combining marks that follow it ("đ" is its own base letter)."""
    out: list[str] = []
    for char in decomposed:
        if out and unicodedata.combining(char):
            out[-1] += char
        else:
            out.append(char)
    return out
