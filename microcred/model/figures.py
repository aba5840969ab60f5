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
"""

from __future__ import annotations

import math

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


__all__ = ["percent", "percent_text"]
