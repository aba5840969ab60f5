"""How a progress figure is written as a percentage: one rule for every report and picture.

A credential's ``progress`` (0 to 1) is kept exact in the results and in JSON. Wherever a
person reads it as a percentage (the text report, the HTML report, the SVG, DOT and Mermaid
pictures, badge narratives, plans), it goes through :func:`percent`:

- the exact progress times 100, rounded half up to a whole number (0.455 and 0.456 give 46,
  0.445 gives 45);
- except that a progress strictly between 0 and 1 shows as at least 1 and at most 99: a
  learner who has started is never shown 0 %, and one who has not finished never 100 %.

A progress that is a simple fraction can arrive as a float a hair below the half
(0.45499999999999996 for 0.455): the rounding allows for that, by 10⁻⁹ of a percent.

The figures of a population (``microcred metrics``, docs/metrics.md) are computed exactly, as
integers and fractions, and written with one decimal by :func:`rate` (a share as a percentage)
and :func:`amount` (days, credits): half up, from the exact value, so that 2/3 is 66.7 %,
1/8 is 12.5 % and a quartile of 10.25 days is 10.3 in every format.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

#: what a float may be off by, in percent, and still count as its exact value
_SLACK = 1e-9


def percent(progress: float) -> int:
    """``progress`` (0 to 1) as a whole percent, by the rule of this module."""
    if progress >= 1:
        return 100
    if progress <= 0 or math.isnan(progress):
        return 0
    return min(99, max(1, math.floor(progress * 100 + 0.5 + _SLACK)))


def percent_text(progress: float) -> str:
    """``progress`` written as a percentage: ``"46%"``."""
    return f"{percent(progress)}%"


def amount(value: Fraction | int) -> Decimal:
    """An exact ``value`` (days, credits) with one decimal, rounded half up: 10.25 → 10.3."""
    tenths = Fraction(value) * 10
    whole = math.floor(tenths + Fraction(1, 2))
    return Decimal(whole).scaleb(-1)


def rate(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` as a percentage with one decimal, rounded half up from the
    exact quotient (2 of 3 → 66.7); None when the denominator is 0 (no population)."""
    if denominator <= 0:
        return None
    return amount(Fraction(100 * numerator, denominator))


__all__ = ["amount", "percent", "percent_text", "rate"]
