"""Former home of the change-impact analysis, for one release: now microcred.analysis.diff and microcred.run.impact."""

from __future__ import annotations

import warnings

from microcred.analysis.diff import *  # noqa: F403
from microcred.analysis.diff import __all__ as _analysis
from microcred.run.impact import impact, iter_impact, run_impact

warnings.warn(
    "microcred.diff moved to microcred.analysis.diff (impact, iter_impact and run_impact to microcred.run.impact);"
    " import it from there (the old name goes in the next release)",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [*_analysis, "impact", "iter_impact", "run_impact"]
