"""ID numbers (GB 11643-1999) in OCR output: full validation, windows over digit runs, and the single
most likely OCR confusions — pure functions, no engine."""

from __future__ import annotations

import re

from models.checks.identity import id_number_problem

_SHAPE = re.compile(r"[0-9]{17}[0-9X]")

# Characters tesseract/RapidOCR confuse with each digit (and X), most likely first.
CONFUSIONS: dict[str, str] = {
    "0": "8D6",
    "1": "7I4",
    "2": "7Z",
    "3": "8",
    "4": "1",
    "5": "6S3",
    "6": "580",
    "7": "1",
    "8": "036B",
    "9": "8",
    "X": "K",
}
# What an OCR character outside [0-9X] most likely stands for.
LOOKALIKES: dict[str, str] = {
    "O": "0",
    "o": "0",
    "D": "0",
    "Q": "0",
    "U": "0",
    "I": "1",
    "l": "1",
    "|": "1",
    "i": "1",
    "L": "1",
    "!": "1",
    "Z": "2",
    "z": "2",
    "B": "8",
    "S": "5",
    "s": "5",
    "G": "6",
    "b": "6",
    "T": "7",
    "g": "9",
    "q": "9",
    "x": "X",
    "K": "X",
    "k": "X",
    "×": "X",
}


def is_valid_id_number(number: str) -> bool:
    """Full GB 11643 validation: shape, region code, birth date and check character.

    The same definition as the checks (`models.checks.identity.id_number_problem`): a region code
    that exists or existed at any time is accepted, because older residents carry the code of the
    day they were registered, not of their birth year. Two definitions would make a real card's
    number unreadable here while the checks accept it.
    """
    if not _SHAPE.fullmatch(number):
        return False
    try:
        return id_number_problem(number) is None
    except Exception:  # stdnum's region database has a few incomplete entries: not valid for us
        return False


def id_chars(text: str) -> str:
    """`text` reduced to ID-number characters, look-alike letters mapped to digits."""
    out = []
    for ch in text:
        if ch in "0123456789X":
            out.append(ch)
        elif ch in LOOKALIKES:
            out.append(LOOKALIKES[ch])
    return "".join(out)


def valid_windows(text: str) -> list[str]:
    """Every distinct 18-character window of `text`'s ID characters that validates fully."""
    s = re.sub(r"[^0-9X]", "", text.upper())
    found: list[str] = []
    for i in range(0, max(0, len(s) - 17)):
        cand = s[i : i + 18]
        if cand not in found and is_valid_id_number(cand):
            found.append(cand)
    return found


def single_corrections(number: str) -> list[str]:
    """Valid numbers one likely OCR confusion away from an (invalid) 18-character reading."""
    if len(number) != 18:
        return []
    found: list[str] = []
    for i, ch in enumerate(number):
        for alt in CONFUSIONS.get(ch, ""):
            if i < 17 and alt == "X":
                continue
            cand = number[:i] + alt + number[i + 1 :]
            # Nobody applying was born before 1900: a "correction" into the 1800s is a wrong one.
            if (
                cand != number
                and cand not in found
                and cand[6:8] in ("19", "20")
                and is_valid_id_number(cand)
            ):
                found.append(cand)
    return found
