"""Metrics of success over a population: what the portfolio of credentials achieves.

The figures are defined, with their formulas and sources, in docs/metrics.md. In short, for each
``as_of`` date, each credential (and each credential type), and each group of learners (all of
them, each cohort by entry term, each value of each learner attribute):

- ``learners`` (the group's size), ``enrolled`` (progress > 0), ``earned`` (status earned or
  expired), ``in_progress``, ``expired``, ``awarded`` (held by an award from outside);
- ``completion_rate`` = earned / enrolled; ``expiry_rate`` = expired / earned;
- time to credential in days, from the first counted attempt to ``earned_on``: quartiles
  (``time_q1``, ``time_median``, ``time_q3``) by linear interpolation between order statistics
  (Hyndman and Fan's definition 7);
- stack-through within 2 and 4 years (RAND/Ohio): of the earners of X observed for the whole
  window, the share who earn Y, a credential X stacks into, within it; the credits they apply;
- renewal: of the credentials expired at one date, those earned again at the next;
- credit for prior learning (recognised credentials applied) and transfer credit.

The population is streamed: :class:`MetricsAccumulator` takes one result at a time (the JSON of
``microcred evaluate``/``batch``) and keeps only counts, exact sums and day histograms, so its
memory grows with the number of credentials, groups and distinct durations, never with the
number of learners (apart from the table of learner attributes, when one is given).
Accumulators merge (:meth:`MetricsAccumulator.merge`), so a population split across processes
or Dask partitions gives the same numbers, exactly: every count and sum is an integer or a
fraction, and rounding happens once, in :meth:`MetricsAccumulator.table`, by
:mod:`microcred.model.figures`.

Small cells are suppressed (:func:`suppress`): nothing of a group under the minimum size is
shown, no count from 1 to the minimum minus one is shown, and complementary cells are hidden so
that no hidden count follows from a total.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from microcred.model.dates import add_span
from microcred.model.figures import amount, rate

#: The minimum group size of small-cell suppression, unless the caller chooses another.
MIN_GROUP_SIZE = 10
#: The stack-through windows, in years (RAND/Ohio report 2 and 4).
WINDOWS: tuple[int, ...] = (2, 4)
#: How long after it expired a credential may be earned again and still count as renewed.
RENEWAL_MONTHS = 12

#: ``applied`` entries of these statuses are credit for prior learning: a credential held from
#: outside (an award, a recognised external credential) counted toward another credential.
#: The hook for recognition of outside learning: when results carry a further status for it,
#: add that status here, and every figure follows.
PRIOR_LEARNING_STATUSES: frozenset[str] = frozenset({"awarded"})
#: ``applied`` entries of these statuses are transfer credit.
TRANSFER_STATUSES: frozenset[str] = frozenset({"transfer"})

ALL = "all"
COHORT = "cohort"
NO_COHORT = "(none)"
MISSING = "(missing)"
POPULATION = "*"  # the subject of the ``learners`` rows: the group itself
TYPE_PREFIX = "type:"

#: The counts (each the number of learners, or of learner–credential pairs at the credential
#: level, which is the same: a learner holds a credential once).
COUNTS = (
    "learners",
    "enrolled",
    "earned",
    "in_progress",
    "expired",
    "awarded",
    "time_n",
    "prior_learning",
    "transfer",
    "renewal_base",
    "renewed",
    "stack_observed",
    "stack_through",
)
#: The counts every credential and type has, at every date and in every group (zeros included).
BASE_COUNTS = ("enrolled", "earned", "in_progress", "expired", "awarded", "time_n", "prior_learning", "transfer")
#: Figures computed from counts (and sums): each is shown only when every count it rests on is.
DERIVED: dict[str, tuple[str, ...]] = {
    "completion_rate": ("earned", "enrolled"),
    "expiry_rate": ("expired", "earned"),
    "time_q1": ("time_n",),
    "time_median": ("time_n",),
    "time_q3": ("time_n",),
    "prior_learning_credits": ("prior_learning",),
    "transfer_credits": ("transfer",),
    "renewal_rate": ("renewed", "renewal_base"),
    "stack_through_rate": ("stack_through", "stack_observed"),
    "stack_credits_mean": ("stack_through",),
}
METRIC_ORDER = {
    m: i
    for i, m in enumerate(
        [
            "learners",
            "enrolled",
            "earned",
            "completion_rate",
            "in_progress",
            "expired",
            "expiry_rate",
            "awarded",
            "time_n",
            "time_q1",
            "time_median",
            "time_q3",
            "prior_learning",
            "prior_learning_credits",
            "transfer",
            "transfer_credits",
            "renewal_base",
            "renewed",
            "renewal_rate",
            "stack_observed",
            "stack_through",
            "stack_through_rate",
            "stack_credits_mean",
        ]
    )
}
#: What each figure is, in a line (docs/metrics.md has the formulas and sources).
DESCRIPTIONS = {
    "learners": "Learners in the group",
    "enrolled": "Learners with progress above 0 (enrolments)",
    "earned": "Learners who earned the credential (status earned or expired)",
    "completion_rate": "Completion rate among starters: earned / enrolled, in percent",
    "in_progress": "Learners whose in-progress attempts would complete the credential",
    "expired": "Learners whose earned credential has expired",
    "expiry_rate": "Expired / earned, in percent",
    "awarded": "Learners holding the credential by an award from outside (recognised credential)",
    "time_n": "Earners by counted attempts (the population of the time to credential)",
    "time_q1": "Time to credential, first quartile, in days",
    "time_median": "Time to credential, median, in days",
    "time_q3": "Time to credential, third quartile, in days",
    "prior_learning": "Learners with credit for prior learning (recognised credentials) applied",
    "prior_learning_credits": "Credits for prior learning applied",
    "transfer": "Learners with transfer credit applied",
    "transfer_credits": "Transfer credits applied",
    "renewal_base": "Learners whose credential had expired at the previous date",
    "renewed": "Of those, learners who earned it again within the renewal window",
    "renewal_rate": "Renewed / renewal base, in percent",
    "stack_observed": "Earners of the credential observed for the whole window",
    "stack_through": "Of those, learners who earned the target credential within the window",
    "stack_through_rate": "Stack-through rate: stack_through / stack_observed, in percent",
    "stack_credits_mean": "Mean credits the stackers apply to the target credential",
}
UNITS = {
    "completion_rate": "percent",
    "expiry_rate": "percent",
    "renewal_rate": "percent",
    "stack_through_rate": "percent",
    "time_q1": "days",
    "time_median": "days",
    "time_q3": "days",
    "prior_learning_credits": "credits",
    "transfer_credits": "credits",
    "stack_credits_mean": "credits",
}
SEASONS = ("Spring", "Summer", "Fall")

#: (as_of, dimension, group, subject, target, window, metric)
Key = tuple[str, str, str, str, str, int, str]


class DuplicateLearner(ValueError):
    """A learner given twice at the same date: counted once, the figures would be wrong."""

    def __init__(self, learner_id: str, as_of: str):
        super().__init__(
            f"learner {learner_id} is given twice at {as_of}; give each learner once (one result a learner and date)"
        )
        self.learner_id, self.as_of = learner_id, as_of


class MetricsInputError(ValueError):
    """An input the metrics cannot use: names the file, line and column, what is wrong and how
    to fix it."""

    def __init__(self, file: str, line: int, column: int, what: str, fix: str):
        super().__init__(f"{file}:{line}:{column}: {what}; {fix}")
        self.file, self.line, self.column, self.what, self.fix = file, line, column, what, fix


# -- terms ---------------------------------------------------------------------------------------


def term_of(day: dt.date) -> str:
    """The academic term of a date: January–May Spring, June–July Summer, August–December Fall."""
    season = SEASONS[0] if day.month <= 5 else SEASONS[1] if day.month <= 7 else SEASONS[2]
    return f"{day.year} {season}"


def group_sort_key(value: str) -> tuple[int, int, str]:
    """Terms in calendar order ("2024 Spring" < "2024 Fall" < "2025 Spring"), then other values
    alphabetically, the missing ones last."""
    year, _, season = value.partition(" ")
    if year.isdigit() and season in SEASONS:
        return (0, int(year) * 3 + SEASONS.index(season), "")
    return (2 if value in (MISSING, NO_COHORT) else 1, 0, value)


# -- what the catalogue says -----------------------------------------------------------------------


@dataclass(frozen=True)
class Portfolio:
    """What the metrics need from the catalogue: the credentials, their types and titles, and
    the stacking graph (every credential each stacks into, directly or through others)."""

    types: dict[str, str]  # credential -> type
    titles: dict[str, str]
    type_labels: dict[str, str]
    type_order: tuple[str, ...]  # lowest stacking level first
    stacks_into: dict[str, tuple[str, ...]]  # X -> every credential X stacks into
    inside: dict[str, frozenset[str]]  # X -> X and every credential that stacks into X
    levels: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_catalog(cls, catalog: Any) -> Portfolio:
        from microcred.model.graph import ancestors, build_graph, descendants, levels

        g = build_graph(catalog, courses=False)
        ids = sorted(catalog.credentials)
        lv = levels(g, catalog)
        types = {cid: catalog.credentials[cid].type for cid in ids}
        type_level: dict[str, int] = {}
        for cid, t in types.items():
            type_level[t] = min(type_level.get(t, lv.get(cid, 0)), lv.get(cid, 0))
        labels = {t: (ct.label or t) for t, ct in catalog.types.items()}
        return cls(
            types=types,
            titles={cid: catalog.credentials[cid].title for cid in ids},
            type_labels={t: labels.get(t, t) for t in type_level},
            type_order=tuple(sorted(type_level, key=lambda t: (type_level[t], t))),
            stacks_into={cid: tuple(sorted(descendants(g, cid) - {cid})) for cid in ids},
            inside={cid: frozenset({cid} | ancestors(g, cid)) for cid in ids},
            levels=lv,
        )

    def type_pairs(self) -> list[tuple[str, str]]:
        """(A, B): type pairs where some credential of type A stacks into one of type B."""
        pairs = {(self.types[x], self.types[y]) for x, ys in self.stacks_into.items() for y in ys if y in self.types}
        order = {t: i for i, t in enumerate(self.type_order)}
        return sorted(pairs, key=lambda p: (order.get(p[0], 99), order.get(p[1], 99), p))


# -- learner attributes ----------------------------------------------------------------------------


@dataclass
class Attributes:
    """A table of learner attributes (a CSV keyed by ``learner_id``): each other column is a
    dimension the metrics break down by. A column named ``cohort`` gives the learner's cohort
    instead of the entry term read from the results."""

    columns: tuple[str, ...]
    values: dict[str, tuple[str, ...]]
    source: str = ""

    def of(self, learner_id: str) -> tuple[str, ...]:
        return self.values.get(learner_id, (MISSING,) * len(self.columns))


def read_attributes(path: str | Path) -> Attributes:
    """Read a CSV of learner attributes. Raises :class:`MetricsInputError` (file, line, column)
    for a file without a ``learner_id`` column, a repeated learner, or a row of the wrong length."""
    name = str(path)
    try:
        fh = Path(path).open(newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise MetricsInputError(name, 1, 1, f"cannot read file: {exc.strerror or exc}", "check the path") from None
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise MetricsInputError(name, 1, 1, "empty file", "give a header line: learner_id,ATTRIBUTE,…") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise MetricsInputError(name, 1, 1, f"unreadable CSV: {exc}", "save the file as UTF-8 CSV") from None
        header = [h.strip() for h in header]
        if "learner_id" not in header:
            raise MetricsInputError(
                name, 1, 1, "no learner_id column", "name the column of learner ids learner_id (as in batch CSV files)"
            )
        seen: dict[str, int] = {}
        for i, h in enumerate(header):
            if not h:
                raise MetricsInputError(name, 1, i + 1, "an empty column name", "name every column")
            if h in seen:
                raise MetricsInputError(name, 1, i + 1, f"column {h!r} given twice", "keep one of them")
            if h == ALL:
                raise MetricsInputError(
                    name, 1, i + 1, "a column named 'all'", "rename it: 'all' is the whole population"
                )
            seen[h] = i
        lid_at = seen["learner_id"]
        columns = tuple(h for h in header if h != "learner_id")
        at = [seen[c] for c in columns]
        values: dict[str, tuple[str, ...]] = {}
        first: dict[str, int] = {}
        interned: dict[str, str] = {}
        try:
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise MetricsInputError(
                        name,
                        line,
                        1,
                        f"{len(row)} cells where the header has {len(header)}",
                        "give every column a cell",
                    )
                lid = row[lid_at].strip()
                if not lid:
                    raise MetricsInputError(name, line, lid_at + 1, "learner id missing", "give every row a learner_id")
                if lid in values:
                    raise MetricsInputError(
                        name,
                        line,
                        lid_at + 1,
                        f"learner {lid} is given twice (first on line {first[lid]})",
                        "give each learner one row",
                    )
                cells = tuple(interned.setdefault(v, v) for v in ((row[j].strip() or MISSING) for j in at))
                values[lid] = cells
                first[lid] = line
        except (csv.Error, UnicodeDecodeError) as exc:
            raise MetricsInputError(
                name, reader.line_num, 1, f"unreadable CSV: {exc}", "save the file as UTF-8 CSV"
            ) from None
    return Attributes(columns, values, name)


# -- reading results -------------------------------------------------------------------------------


def is_results_file(path: str | Path) -> bool:
    """True when the first line of a JSON-lines file is a result (it has ``credentials``), not
    a transcript."""
    try:
        with Path(path).open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    try:
                        first = json.loads(line)
                    except ValueError:
                        return False
                    return isinstance(first, dict) and "credentials" in first and "attempts" not in first
    except (OSError, UnicodeDecodeError):
        return False
    return False


def read_results(paths: Sequence[str | Path]) -> Iterator[dict[str, Any]]:
    """The results of JSON-lines files (``microcred batch`` output), one at a time. A line that
    is not a result raises :class:`MetricsInputError`; a record of a learner whose evaluation
    failed (``{"learner": …, "errors": […]}``) is skipped."""
    for path in paths:
        name = str(path)
        try:
            fh = Path(path).open(encoding="utf-8")  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            raise MetricsInputError(name, 1, 1, f"cannot read file: {exc.strerror or exc}", "check the path") from None
        with fh:
            n = 0
            try:
                for n, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    try:
                        rec = json.loads(line)
                    except ValueError as exc:
                        col = getattr(exc, "colno", 1)
                        raise MetricsInputError(
                            name, n, col, f"not JSON: {exc}", "give the JSON lines of microcred batch or evaluate"
                        ) from None
                    if isinstance(rec, dict) and "errors" in rec and "credentials" not in rec:
                        continue
                    check_result(rec, name, n)
                    yield rec
            except UnicodeDecodeError:
                raise MetricsInputError(
                    name, n + 1, 1, "not UTF-8 text", "give the JSON lines of microcred batch"
                ) from None


def check_result(rec: Any, file: str = "<result>", line: int = 1) -> None:
    """A result must carry what the metrics read; a field of the wrong shape is an error, never
    guessed."""

    def bad(what: str) -> MetricsInputError:
        return MetricsInputError(
            file, line, 1, what, "give results as microcred batch or evaluate --format json writes them"
        )

    if not isinstance(rec, dict):
        raise bad("not a JSON object")
    learner = rec.get("learner")
    if not isinstance(learner, dict) or not isinstance(learner.get("id"), str) or not learner["id"]:
        raise bad("no learner id (learner.id)")
    as_of = rec.get("as_of")
    if not isinstance(as_of, str) or _date(as_of) is None:
        raise bad(f"as_of is not a date: {as_of!r}")
    creds = rec.get("credentials")
    if not isinstance(creds, dict):
        raise bad("no credentials object")
    for cid, c in creds.items():
        if not isinstance(c, dict) or c.get("status") not in (
            "earned",
            "expired",
            "in_progress",
            "partial",
            "not_started",
        ):
            raise bad(f"credential {cid}: no valid status")
        for k in ("earned_on", "expires_on"):
            v = c.get(k)
            if v is not None and (not isinstance(v, str) or _date(v) is None):
                raise bad(f"credential {cid}: {k} is not a date: {v!r}")
        if c["status"] in ("earned", "expired") and c.get("earned_on") is None:
            raise bad(f"credential {cid}: earned but no earned_on")
        p = c.get("progress")
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
            raise bad(f"credential {cid}: progress is not a number from 0 to 1: {p!r}")
        applied = c.get("applied", [])
        if not isinstance(applied, list) or not all(isinstance(a, dict) for a in applied):
            raise bad(f"credential {cid}: applied is not a list of objects")
        for a in applied:
            d = a.get("date")
            if d is not None and (not isinstance(d, str) or _date(d) is None):
                raise bad(f"credential {cid}: an applied date is not a date: {d!r}")
            cr = a.get("credits", 0)
            if not isinstance(cr, (int, float)) or isinstance(cr, bool) or not math.isfinite(cr) or cr < 0:
                raise bad(f"credential {cid}: applied credits are not a number: {cr!r}")


_DATES: dict[str, dt.date | None] = {}


def _date(text: str) -> dt.date | None:
    """``text`` as a YYYY-MM-DD date, or None (remembered: a population repeats its dates)."""
    if text in _DATES:
        return _DATES[text]
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if len(_DATES) < 100_000:
        _DATES[text] = day
    return day


def _day(text: str | None) -> dt.date:
    d = _date(text) if text else None
    assert d is not None
    return d


def _digest(learner_id: str, as_of: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{learner_id}\0{as_of}".encode(), digest_size=8).digest(), "big")


# -- quantiles -------------------------------------------------------------------------------------


def quantile(hist: Mapping[int, int], p: Fraction) -> Fraction:
    """The ``p`` quantile of the values counted in ``hist`` (value -> how many), by linear
    interpolation between order statistics (Hyndman and Fan's definition 7, the default of R,
    NumPy and spreadsheets' QUARTILE.INC): sorted values x₁ ≤ … ≤ xₙ, h = (n − 1)·p,
    Q = x₍⌊h⌋+1₎ + (h − ⌊h⌋)·(x₍⌊h⌋+2₎ − x₍⌊h⌋+1₎). Exact."""
    n = sum(hist.values())
    if n == 0:
        raise ValueError("no values")
    h = (n - 1) * p
    j = math.floor(h)
    frac = h - j
    lo = _order_statistic(hist, j)
    if frac == 0:
        return Fraction(lo)
    hi = _order_statistic(hist, j + 1)
    return lo + frac * (hi - lo)


def _order_statistic(hist: Mapping[int, int], k: int) -> int:
    """The value at 0-based position ``k`` of the sorted values."""
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if k < seen:
            return value
    raise IndexError(k)


# -- accumulation ----------------------------------------------------------------------------------


@dataclass
class _Cred:
    """What the metrics read of one credential of one result."""

    cid: str
    status: str
    progress: float
    earned_on: dt.date | None
    expires_on: dt.date | None
    awarded: bool
    applied: list[dict[str, Any]]

    @property
    def earned(self) -> bool:
        return self.status in ("earned", "expired")


class MetricsAccumulator:
    """Counts, exact sums and histograms of a population, added one result at a time.

    ``add(result)`` takes one learner's result (the JSON of ``microcred evaluate``); results of
    the same learner at several dates, on consecutive calls in date order, also give renewals.
    ``merge(other)`` adds another accumulator's population (as parallel workers return them);
    ``table()`` gives the figures, rounded and suppressed.
    """

    def __init__(
        self,
        portfolio: Portfolio,
        attributes: Attributes | None = None,
        *,
        windows: Sequence[int] = WINDOWS,
        renewal_months: int = RENEWAL_MONTHS,
    ):
        self.portfolio = portfolio
        self.attributes = attributes
        self.windows = tuple(sorted(set(windows)))
        self.renewal_months = renewal_months
        self.counts: Counter[Key] = Counter()
        self.sums: dict[Key, Fraction] = {}
        self.hists: dict[Key, Counter[int]] = {}
        self.learners = 0
        self.unknown_credentials: set[str] = set()
        self._prev: tuple[str, dt.date, dict[str, _Cred]] | None = None
        #: a 64-bit digest of each (learner, date) added: a learner given twice is an error
        self._seen: set[int] = set()
        self._dims = (COHORT, *(c for c in (attributes.columns if attributes else ()) if c != COHORT))

    # the state that travels between processes: counts, sums and histograms
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_prev"] = None
        return state

    def dimensions(self) -> tuple[str, ...]:
        return (ALL, *self._dims)

    def _groups(self, lid: str, creds: Mapping[str, _Cred]) -> list[tuple[str, str]]:
        values = self.attributes.of(lid) if self.attributes else ()
        columns = self.attributes.columns if self.attributes else ()
        attrs = dict(zip(columns, values, strict=True))
        cohort = attrs.get(COHORT)
        if cohort is None or cohort == MISSING:
            first: dt.date | None = None
            for c in creds.values():
                for a in c.applied:
                    if a.get("status") == "completed" and a.get("date"):
                        d = _day(a["date"])
                        if first is None or d < first:
                            first = d
            cohort = term_of(first) if first else NO_COHORT
        out = [(ALL, ALL), (COHORT, cohort)]
        out.extend((col, val) for col, val in attrs.items() if col != COHORT)
        return out

    def _count(
        self, as_of: str, groups: list[tuple[str, str]], subject: str, metric: str, target: str = "", window: int = 0
    ) -> None:
        for dim, grp in groups:
            self.counts[(as_of, dim, grp, subject, target, window, metric)] += 1

    def _sum(
        self,
        as_of: str,
        groups: list[tuple[str, str]],
        subject: str,
        metric: str,
        value: Fraction,
        target: str = "",
        window: int = 0,
    ) -> None:
        for dim, grp in groups:
            k = (as_of, dim, grp, subject, target, window, metric)
            self.sums[k] = self.sums.get(k, Fraction(0)) + value

    def _days(self, as_of: str, groups: list[tuple[str, str]], subject: str, days: int) -> None:
        for dim, grp in groups:
            k = (as_of, dim, grp, subject, "", 0, "time")
            h = self.hists.get(k)
            if h is None:
                h = self.hists[k] = Counter()
            h[days] += 1

    def add(self, result: Mapping[str, Any]) -> None:
        """Add one learner's result (checked as :func:`check_result` checks)."""
        lid: str = result["learner"]["id"]
        as_of_day = _day(result["as_of"])
        as_of = result["as_of"]
        seen = _digest(lid, as_of)
        if seen in self._seen:
            raise DuplicateLearner(lid, as_of)
        self._seen.add(seen)
        pf = self.portfolio
        creds: dict[str, _Cred] = {}
        for cid, c in result["credentials"].items():
            if cid not in pf.types:
                self.unknown_credentials.add(cid)
                continue
            creds[cid] = _Cred(
                cid,
                c["status"],
                float(c["progress"]),
                _date(c["earned_on"]) if c.get("earned_on") else None,
                _date(c["expires_on"]) if c.get("expires_on") else None,
                bool(c.get("awarded")),
                c.get("applied") or [],
            )
        groups = self._groups(lid, creds)
        self.learners += 1
        self._count(as_of, groups, POPULATION, "learners")

        type_flags: dict[str, set[str]] = {}
        type_sums: dict[tuple[str, str], Fraction] = {}
        type_time: dict[str, tuple[dt.date, int]] = {}
        for cid, c in creds.items():
            t = TYPE_PREFIX + pf.types[cid]
            flags = type_flags.setdefault(t, set())
            mine: set[str] = set()
            if c.progress > 0:
                mine.add("enrolled")
            if c.earned:
                mine.add("earned")
            if c.status == "in_progress":
                mine.add("in_progress")
            if c.status == "expired":
                mine.add("expired")
            if c.earned and c.awarded:
                mine.add("awarded")
            if c.earned and not c.awarded and c.earned_on is not None:
                # the first counted attempt: an award counted for prior learning is no attempt
                first = min(
                    (
                        _day(a["date"])
                        for a in c.applied
                        if a.get("date") and a.get("status") not in PRIOR_LEARNING_STATUSES
                    ),
                    default=c.earned_on,
                )
                days = (c.earned_on - min(first, c.earned_on)).days
                mine.add("time_n")
                self._days(as_of, groups, cid, days)
                best = type_time.get(t)
                if best is None or (c.earned_on, days) < best:
                    type_time[t] = (c.earned_on, days)
            for metric, statuses in (("prior_learning", PRIOR_LEARNING_STATUSES), ("transfer", TRANSFER_STATUSES)):
                credits = sum(
                    (Fraction(a.get("credits") or 0) for a in c.applied if a.get("status") in statuses), Fraction(0)
                )
                if any(a.get("status") in statuses for a in c.applied):
                    mine.add(metric)
                    self._sum(as_of, groups, cid, metric + "_credits", credits)
                    type_sums[(t, metric + "_credits")] = type_sums.get((t, metric + "_credits"), Fraction(0)) + credits
            for metric in mine:
                self._count(as_of, groups, cid, metric)
            flags |= mine
        for t, flags in type_flags.items():
            for metric in flags:
                self._count(as_of, groups, t, metric)
        for (t, metric), value in type_sums.items():
            self._sum(as_of, groups, t, metric, value)
        for t, (_e, days) in type_time.items():
            self._days(as_of, groups, t, days)

        self._stacking(as_of, as_of_day, groups, creds)
        self._renewal(lid, as_of, as_of_day, groups, creds)

    def _stacking(self, as_of: str, day: dt.date, groups: list[tuple[str, str]], creds: dict[str, _Cred]) -> None:
        pf = self.portfolio
        # type level: (A, B, window) -> (observed, stacked) for this learner
        type_obs: set[tuple[str, str, int]] = set()
        type_hit: set[tuple[str, str, int]] = set()
        for x, cx in creds.items():
            if not cx.earned or cx.earned_on is None:
                continue
            ex = cx.earned_on
            for y in pf.stacks_into.get(x, ()):
                cy = creds.get(y)
                if cy is None:
                    continue
                ta, tb = TYPE_PREFIX + pf.types[x], TYPE_PREFIX + pf.types[y]
                for w in self.windows:
                    end = add_span(ex, years=w)
                    if end > day:
                        continue
                    self._count(as_of, groups, x, "stack_observed", y, w)
                    type_obs.add((ta, tb, w))
                    if cy.earned and cy.earned_on is not None and ex <= cy.earned_on <= end:
                        self._count(as_of, groups, x, "stack_through", y, w)
                        inside = pf.inside.get(x, frozenset({x}))
                        credits = sum(
                            (
                                Fraction(a.get("credits") or 0)
                                for a in cy.applied
                                if a.get("credential") in inside
                                or (a.get("status") in PRIOR_LEARNING_STATUSES and a.get("course") in inside)
                            ),
                            Fraction(0),
                        )
                        self._sum(as_of, groups, x, "stack_credits", credits, y, w)
                        type_hit.add((ta, tb, w))
        for ta, tb, w in type_obs:
            self._count(as_of, groups, ta, "stack_observed", tb, w)
        for ta, tb, w in type_hit:
            self._count(as_of, groups, ta, "stack_through", tb, w)

    def _renewal(
        self, lid: str, as_of: str, day: dt.date, groups: list[tuple[str, str]], creds: dict[str, _Cred]
    ) -> None:
        prev = self._prev
        self._prev = (lid, day, creds)
        if prev is None or prev[0] != lid or prev[1] >= day:
            return
        for cid, before in prev[2].items():
            if before.status != "expired" or before.expires_on is None:
                continue
            self._count(as_of, groups, cid, "renewal_base")
            now = creds.get(cid)
            if (
                now is not None
                and now.status == "earned"
                and now.earned_on is not None
                and (now.expires_on is None or now.expires_on > before.expires_on)
                and now.earned_on <= add_span(before.expires_on, months=self.renewal_months)
            ):
                self._count(as_of, groups, cid, "renewed")

    def add_all(self, results: Iterable[Mapping[str, Any]]) -> MetricsAccumulator:
        for r in results:
            self.add(r)
        return self

    def merge(self, other: MetricsAccumulator) -> MetricsAccumulator:
        """Add ``other``'s population to this one (the two must not share a learner at a date)."""
        self.counts.update(other.counts)
        for k, v in other.sums.items():
            self.sums[k] = self.sums.get(k, Fraction(0)) + v
        for k, h in other.hists.items():
            mine = self.hists.get(k)
            if mine is None:
                self.hists[k] = Counter(h)
            else:
                mine.update(h)
        both = self._seen & other._seen
        if both:
            raise DuplicateLearner("(in two parts of the population)", "the same date")
        self._seen |= other._seen
        self.learners += other.learners
        self.unknown_credentials |= other.unknown_credentials
        self._prev = None
        return self

    def table(self, min_group_size: int = MIN_GROUP_SIZE) -> MetricsTable:
        """Every figure, rounded by :mod:`microcred.model.figures` and suppressed by :func:`suppress`."""
        return build_table(self, min_group_size)


# -- the table ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One figure: a count, a rate (percent), a duration (days) or credits."""

    as_of: str
    dimension: str
    group: str
    subject: str  # a credential id, "type:T", or "*" (the group itself)
    target: str  # the credential (or "type:T") stacked into; "" otherwise
    window: int  # stack-through window in years; 0 otherwise
    metric: str
    value: int | Decimal | None  # None when suppressed (or when there is no population)
    denominator: int | None  # the count a rate, quantile, sum or mean is over
    suppressed: bool

    @property
    def kind(self) -> str:
        if self.subject == POPULATION:
            return "population"
        return "type" if self.subject.startswith(TYPE_PREFIX) else "credential"


@dataclass
class MetricsTable:
    rows: list[Row]
    min_group_size: int
    portfolio: Portfolio
    dimensions: tuple[str, ...]
    windows: tuple[int, ...]
    renewal_months: int
    learners: int
    unknown_credentials: list[str] = field(default_factory=list)
    #: the rows by what :meth:`get` asks, made on first use
    _index: dict[tuple[str, ...], Row] | None = field(default=None, init=False, repr=False, compare=False)

    def as_of_dates(self) -> list[str]:
        return sorted({r.as_of for r in self.rows})

    def get(
        self,
        as_of: str,
        subject: str,
        metric: str,
        dimension: str = ALL,
        group: str = ALL,
        target: str = "",
        window: int = 0,
    ) -> Row | None:
        index = self._index
        if index is None:
            index = self._index = {
                (r.as_of, r.subject, r.metric, r.dimension, r.group, r.target, str(r.window)): r for r in self.rows
            }
        return index.get((as_of, subject, metric, dimension, group, target, str(window)))

    def title(self, subject: str) -> str:
        if subject == POPULATION:
            return "All learners"
        if subject.startswith(TYPE_PREFIX):
            t = subject[len(TYPE_PREFIX) :]
            return self.portfolio.type_labels.get(t, t)
        return self.portfolio.titles.get(subject, subject)


def suppress(
    values: Mapping[Key, int],
    relations: Iterable[tuple[Key, Sequence[Key]]],
    primary: Iterable[Key],
    min_group_size: int,
) -> set[Key]:
    """The counts to hide. ``primary`` are hidden to begin with (small counts, small groups);
    then, for every relation (a total, and the parts that add up to it) whose total is shown:
    when one part alone is hidden, or the hidden parts add up to less than ``min_group_size``,
    the smallest shown part is hidden too (the smallest positive one where that raises the hidden
    sum), and when no part is left to hide, the total is; until nothing changes. At the end,
    every relation whose total is shown and not 0 has no hidden part, or at least two whose sum
    is at least ``min_group_size``: no hidden count can be worked out from the total. (A total
    of 0 says by itself that every part is 0: there is nothing to protect.)"""
    hidden = set(primary)
    rels = [(t, list(ps)) for t, ps in relations]
    changed = True
    while changed:
        changed = False
        for total, parts in rels:
            if total in hidden or values.get(total, 0) == 0:
                continue  # a total of 0 says its parts are 0: hiding one protects nothing
            hid = [p for p in parts if p in hidden]
            if not hid:
                continue
            hidden_sum = sum(values.get(p, 0) for p in hid)
            if len(hid) >= 2 and hidden_sum >= min_group_size:
                continue
            shown = [p for p in parts if p not in hidden]
            if not shown:
                hidden.add(total)
                changed = True
                continue
            positive = [p for p in shown if values.get(p, 0) > 0]
            pool = positive if hidden_sum < min_group_size and positive else shown
            pick = min(pool, key=lambda p: (values.get(p, 0), p))
            hidden.add(pick)
            changed = True
    return hidden


def build_table(acc: MetricsAccumulator, k: int) -> MetricsTable:
    """The rows of an accumulator's population: every count (zeros included, for each group
    and subject seen), then the derived figures; suppressed by :func:`suppress`."""
    pf = acc.portfolio
    counts = acc.counts
    # the groups seen at each date, in each dimension
    groups: dict[tuple[str, str], set[str]] = {}
    for as_of, dim, grp, subject, _t, _w, metric in counts:
        if subject == POPULATION and metric == "learners":
            groups.setdefault((as_of, dim), set()).add(grp)
    # every cell key: the counts of each (subject, target, window, metric) seen at a date, in every group
    series: set[tuple[str, str, str, int, str]] = set()
    for as_of, _d, _g, subject, target, window, metric in counts:
        series.add((as_of, subject, target, window, metric))
    # every credential and type has its counts at every date, zeros included; and the counts
    # each derived figure needs exist wherever one of them does
    subjects = [*pf.types, *(TYPE_PREFIX + t for t in pf.type_order)]
    for as_of in {s[0] for s in series}:
        for subject in subjects:
            for metric in BASE_COUNTS:
                series.add((as_of, subject, "", 0, metric))
    for as_of, subject, target, window, metric in list(series):
        for needs in DERIVED.values():
            if metric in needs:
                series.update((as_of, subject, target, window, m) for m in needs)
    values: dict[Key, int] = {}
    relations: list[tuple[Key, list[Key]]] = []
    primary: set[Key] = set()
    dims = acc.dimensions()
    for as_of, subject, target, window, metric in series:
        total: Key = (as_of, ALL, ALL, subject, target, window, metric)
        for dim in dims:
            parts: list[Key] = []
            for grp in groups.get((as_of, dim), ()):
                key: Key = (as_of, dim, grp, subject, target, window, metric)
                values[key] = counts.get(key, 0)
                parts.append(key)
            if dim != ALL and parts:
                relations.append((total, parts))
    # within a credential: earned = awarded + time_n (an earner either holds an award or has counted attempts)
    for key in list(values):
        as_of, dim, grp, subject, target, window, metric = key
        if metric == "earned" and not subject.startswith(TYPE_PREFIX) and subject != POPULATION:
            a = (as_of, dim, grp, subject, target, window, "awarded")
            n = (as_of, dim, grp, subject, target, window, "time_n")
            values.setdefault(a, counts.get(a, 0))
            values.setdefault(n, counts.get(n, 0))
            relations.append((key, [a, n]))
    for key, v in values.items():
        as_of, dim, grp = key[0], key[1], key[2]
        size = counts.get((as_of, dim, grp, POPULATION, "", 0, "learners"), 0)
        if 0 < v < k or size < k:
            primary.add(key)
    hidden = suppress(values, relations, primary, k)

    rows: list[Row] = []
    for key, v in values.items():
        as_of, dim, grp, subject, target, window, metric = key
        shown = key not in hidden
        rows.append(Row(as_of, dim, grp, subject, target, window, metric, v if shown else None, None, not shown))

    def hidden_any(base: tuple[str, str, str, str, str, int], needs: tuple[str, ...]) -> bool:
        return any((*base, m) in hidden for m in needs)

    for key, v in values.items():
        as_of, dim, grp, subject, target, window, metric = key
        base = (as_of, dim, grp, subject, target, window)
        if metric == "enrolled":
            earned = values.get((*base, "earned"), 0)
            rows.append(
                _derived(base, "completion_rate", rate(earned, v), v, hidden_any(base, DERIVED["completion_rate"]))
            )
        elif metric == "earned":
            expired = values.get((*base, "expired"), 0)
            rows.append(_derived(base, "expiry_rate", rate(expired, v), v, hidden_any(base, DERIVED["expiry_rate"])))
        elif metric == "time_n":
            hist = acc.hists.get((*base, "time"))
            for name, p in (("time_q1", Fraction(1, 4)), ("time_median", Fraction(1, 2)), ("time_q3", Fraction(3, 4))):
                q = amount(quantile(hist, p)) if hist and v else None
                rows.append(_derived(base, name, q, v, hidden_any(base, DERIVED[name])))
        elif metric in ("prior_learning", "transfer"):
            s = acc.sums.get((*base, metric + "_credits"), Fraction(0))
            rows.append(
                _derived(base, metric + "_credits", amount(s), v, hidden_any(base, DERIVED[metric + "_credits"]))
            )
        elif metric == "renewal_base":
            renewed = values.get((*base, "renewed"), 0)
            rows.append(_derived(base, "renewal_rate", rate(renewed, v), v, hidden_any(base, DERIVED["renewal_rate"])))
        elif metric == "stack_observed":
            through = values.get((*base, "stack_through"), 0)
            rows.append(
                _derived(
                    base, "stack_through_rate", rate(through, v), v, hidden_any(base, DERIVED["stack_through_rate"])
                )
            )
        elif metric == "stack_through" and not subject.startswith(TYPE_PREFIX):
            s = acc.sums.get((*base, "stack_credits"), Fraction(0))
            mean = amount(s / v) if v else None
            rows.append(_derived(base, "stack_credits_mean", mean, v, hidden_any(base, DERIVED["stack_credits_mean"])))

    cred_order = {cid: i for i, cid in enumerate(sorted(pf.types, key=lambda c: (pf.levels.get(c, 0), c)))}
    type_order = {TYPE_PREFIX + t: i for i, t in enumerate(pf.type_order)}
    dim_order = {d: i for i, d in enumerate(dims)}

    def subject_key(s: str) -> tuple[int, int, str]:
        if s == POPULATION:
            return (0, 0, s)
        if s in type_order:
            return (1, type_order[s], s)
        if s.startswith(TYPE_PREFIX):
            return (1, 99, s)
        return (2, cred_order.get(s, 10**6), s)

    rows.sort(
        key=lambda r: (
            r.as_of,
            subject_key(r.subject),
            subject_key(r.target) if r.target else (0, 0, ""),
            r.window,
            METRIC_ORDER.get(r.metric, 99),
            dim_order.get(r.dimension, 99),
            group_sort_key(r.group) if r.dimension != ALL else (0, 0, ""),
        )
    )
    return MetricsTable(
        rows,
        k,
        pf,
        dims,
        acc.windows,
        acc.renewal_months,
        acc.learners,
        sorted(acc.unknown_credentials),
    )


def _derived(
    base: tuple[str, str, str, str, str, int], metric: str, value: Decimal | None, n: int, hidden: bool
) -> Row:
    as_of, dim, grp, subject, target, window = base
    return Row(
        as_of, dim, grp, subject, target, window, metric, None if hidden else value, n if not hidden else None, hidden
    )


def metrics_of_results(
    results: Iterable[Mapping[str, Any]],
    catalog: Any,
    attributes: Attributes | None = None,
    *,
    min_group_size: int = MIN_GROUP_SIZE,
    windows: Sequence[int] = WINDOWS,
    renewal_months: int = RENEWAL_MONTHS,
) -> MetricsTable:
    """The metrics of a stream of results (dicts in the JSON of ``microcred evaluate``), against
    ``catalog`` (a :class:`~microcred.model.catalog.Catalog`, or a :class:`Portfolio`)."""
    portfolio = catalog if isinstance(catalog, Portfolio) else Portfolio.from_catalog(catalog)
    acc = MetricsAccumulator(portfolio, attributes, windows=windows, renewal_months=renewal_months)
    return acc.add_all(results).table(min_group_size)


__all__ = [
    "ALL",
    "COHORT",
    "COUNTS",
    "DERIVED",
    "DESCRIPTIONS",
    "MIN_GROUP_SIZE",
    "PRIOR_LEARNING_STATUSES",
    "WINDOWS",
    "Attributes",
    "DuplicateLearner",
    "MetricsAccumulator",
    "MetricsInputError",
    "MetricsTable",
    "Portfolio",
    "Row",
    "check_result",
    "is_results_file",
    "metrics_of_results",
    "quantile",
    "read_attributes",
    "read_results",
    "suppress",
    "term_of",
]
