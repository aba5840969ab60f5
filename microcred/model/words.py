"""Counted nouns and articles, one rule for every message: "1 learner", "2 learners", "an SVG"."""

from __future__ import annotations

#: Words whose plural is not the word with an "s".
_PLURALS = {"was": "were", "has": "have", "is": "are", "this": "these", "it": "they"}


def plural(n: int | float, word: str, many: str | None = None) -> str:
    """``n`` and ``word``, in the plural unless ``n`` is 1: ``plural(1, "learner")`` is
    ``"1 learner"``, ``plural(2, "learner")`` ``"2 learners"``."""
    if n == 1:
        return f"{n:g} {word}" if isinstance(n, float) else f"{n} {word}"
    shown = f"{n:g}" if isinstance(n, float) else str(n)
    return f"{shown} {many or _PLURALS.get(word) or _plural_word(word)}"


def _plural_word(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


#: Initial letters of an abbreviation spelt out that sound like a vowel (an SVG, an HTML page).
_VOWEL_LETTERS = set("AEFHILMNORSX")


def article(word: str) -> str:
    """``word`` with "a" or "an" before it, by its sound: an SVG, a PNG, an iTXt chunk, a JWT,
    an image, a URL."""
    letters = word.strip()
    if not letters:
        return word
    head = letters.split()[0]
    spelt = len(head) > 1 and (head.isupper() or (head[0].islower() and head[1:2].isupper()))
    if spelt:
        an = head[0].upper() in _VOWEL_LETTERS
    else:
        lower = head.lower()
        an = lower[0] in "aeiou" and not lower.startswith(("uni", "use", "usu", "eu", "one"))
    return ("an " if an else "a ") + word
