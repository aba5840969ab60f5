"""Change impact: what a new version of a catalogue changes, in its rules and for learners.

:func:`diff_catalogs` compares two versions of a catalogue: credentials added and removed,
metadata changed, and, for every credential in both, whether its rule **changed meaning**.
Two analyses answer that:

(a) **The boolean skeleton.** Both rules are read over the same propositional variables: a
    ``course: X`` leaf is "the learner passed X" (at the ``min_grade`` in force, so one
    variable per course and grade level, a higher level implying the lower ones); a counting
    leaf (``courses``, ``credits``) is an atom keyed by what it counts (kind, number, the
    resolved course set, the ``min_grade`` and the completion window in force); a
    ``credential: Y`` node is "holds Y"; a ``gpa`` node is an atom keyed by threshold and the
    courses it averages. Atoms that imply each other are tied by clauses (three courses from
    a set imply two from a superset; a GPA of 3.0 implies 2.5 over the same courses), so no
    counterexample is impossible. Exclusivity (one course counts toward one non-``shared``
    leaf of a credential) is modelled exactly for ``course`` leaves: the rule is expanded
    over the choices of which leaf each contested course serves. The two skeletons are
    compared with ``Xor`` encoded by Tseitin gates and decided by sympy's DPLL on an
    ``EncodedCNF``. The skeleton and its encoding are those the static checks use
    (:mod:`microcred.rules.skeleton`); a model is a learner who meets one rule but not the
    other, reported in plain words after it is made minimal.
(b) **What the skeleton cannot see.** Nodes of the two rules are paired (by ``id``, label,
    course, selector overlap) and their numbers compared: ``courses N``, ``credits X``, the
    courses a selector matches (added, removed), credit values counted, ``min_grade``,
    ``complete_within``, ``shared``, ``at_least N``, GPA thresholds.

Reordering children, relabelling (``label``, ``id``), flattening ``all`` inside ``all``,
an ``any`` or ``all`` of one child, ``at_least`` N of N: all are "no change in meaning".

:func:`~microcred.run.impact.impact` evaluates learners against both versions and reports, per learner and
credential, the changes of ``status``, ``earned_on`` and ``expires_on``. Only credentials
whose compiled rule changed (or one they include, or their validity) are evaluated: the
results of the others are the same in both versions by construction.

The package keeps one job per module: :mod:`~microcred.analysis.diff.reading` reads a rule
into its skeleton (by the walk of :mod:`microcred.rules.skeleton`) and facets,
:mod:`~microcred.analysis.diff.equivalence` decides (a), :mod:`~microcred.analysis.diff.pairing`
finds (b), :mod:`~microcred.analysis.diff.fingerprint` tells which credentials' results can
differ, :mod:`~microcred.analysis.diff.compare` puts them together in :func:`diff_catalogs`,
:mod:`~microcred.analysis.diff.impact` compares one learner, :mod:`~microcred.analysis.diff.render`
writes the diff and the impact summary; runs over many learners are :mod:`microcred.run.impact`.
"""

from __future__ import annotations

from microcred.analysis.diff.compare import diff_catalogs
from microcred.analysis.diff.fingerprint import Scope
from microcred.analysis.diff.impact import (
    ImpactItem,
    ImpactPlan,
    LearnerChange,
    LearnerError,
    StatusChange,
    compare_learner,
    plan_impact,
)
from microcred.analysis.diff.render import ImpactSummary, render_diff, to_json_line
from microcred.analysis.diff.results import (
    MEANING_TEXT,
    CatalogDiff,
    Counterexample,
    CredentialDiff,
    FieldChange,
    Meaning,
    RuleChange,
)

__all__ = [
    "MEANING_TEXT",
    "CatalogDiff",
    "Counterexample",
    "CredentialDiff",
    "FieldChange",
    "ImpactItem",
    "ImpactPlan",
    "ImpactSummary",
    "LearnerChange",
    "LearnerError",
    "Meaning",
    "RuleChange",
    "Scope",
    "StatusChange",
    "compare_learner",
    "diff_catalogs",
    "plan_impact",
    "render_diff",
    "to_json_line",
]
