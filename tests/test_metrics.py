"""Metrics of success over hand-made populations: every figure computed here independently (by
hand, or by NumPy for quantiles) and compared exactly; and the suppression guarantee, by
property tests."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microcred.analysis.metrics import (
    ALL,
    COHORT,
    Attributes,
    MetricsAccumulator,
    MetricsInputError,
    MetricsTable,
    Portfolio,
    metrics_of_results,
    quantile,
    read_attributes,
    read_results,
    suppress,
    term_of,
)
from microcred.model.figures import amount, rate

# b1 (badge) stacks into m1 (microcredential), which stacks into c1 (certificate); b2 stacks into c1
PORTFOLIO = Portfolio(
    types={"b1": "badge", "b2": "badge", "m1": "microcredential", "c1": "certificate"},
    titles={"b1": "Badge One", "b2": "Badge Two", "m1": "Micro One", "c1": "Certificate One"},
    type_labels={"badge": "Badge", "microcredential": "Microcredential", "certificate": "Certificate"},
    type_order=("badge", "microcredential", "certificate"),
    stacks_into={"b1": ("c1", "m1"), "b2": ("c1",), "m1": ("c1",), "c1": ()},
    inside={
        "b1": frozenset({"b1"}),
        "b2": frozenset({"b2"}),
        "m1": frozenset({"m1", "b1"}),
        "c1": frozenset({"c1", "m1", "b1", "b2"}),
    },
    levels={"b1": 0, "b2": 0, "m1": 1, "c1": 2},
)


def cred(
    status: str = "not_started",
    earned_on: str | None = None,
    progress: float | None = None,
    applied: list[dict[str, Any]] | None = None,
    expires_on: str | None = None,
    awarded: bool = False,
) -> dict[str, Any]:
    if progress is None:
        progress = 1.0 if status in ("earned", "expired") else 0.0
    out: dict[str, Any] = {
        "status": status,
        "earned_on": earned_on,
        "expires_on": expires_on,
        "progress": progress,
        "applied": applied or [],
        "missing": [],
        "stacks_into": [],
    }
    if awarded:
        out["awarded"] = True
    return out


def attempt(course: str, date: str, credits: float = 3.0, status: str = "completed", owner: str = "") -> dict[str, Any]:
    a: dict[str, Any] = {
        "course": course,
        "node": "n",
        "date": date,
        "grade": "A",
        "credits": credits,
        "status": status,
    }
    if owner:
        a["credential"] = owner
    return a


def result(lid: str, as_of: str, **creds: dict[str, Any]) -> dict[str, Any]:
    full = {cid: cred() for cid in PORTFOLIO.types}
    full.update(creds)
    return {"learner": {"id": lid}, "as_of": as_of, "credentials": full, "stacking": [], "warnings": []}


def value(table: MetricsTable, subject: str, metric: str, **kw: Any) -> Any:
    as_of = kw.pop("as_of", table.as_of_dates()[0])
    row = table.get(as_of, subject, metric, **kw)
    assert row is not None, (subject, metric, kw)
    return row.value


# -- a population worked by hand ---------------------------------------------------------------


def population() -> list[dict[str, Any]]:
    """Twelve learners at 2026-06-01. b1: 9 started, 6 earned (one by award), time to credential
    (days) 0, 10, 20, 35, 100; b1 → m1 stack-through: see the test."""
    a = "2026-06-01"
    return [
        # earned b1 2020-01-10 (first attempt 2020-01-10: 0 days), m1 2021-06-01 (within 2 years), c1 2024-05-01
        result(
            "L01",
            a,
            b1=cred("earned", "2020-01-10", applied=[attempt("X 1", "2020-01-10", owner="b1")]),
            m1=cred(
                "earned",
                "2021-06-01",
                applied=[attempt("X 1", "2020-01-10", owner="b1"), attempt("X 2", "2021-06-01", owner="m1")],
            ),
            c1=cred(
                "earned",
                "2024-05-01",
                applied=[attempt("X 1", "2020-01-10", 4.0, owner="b1"), attempt("X 9", "2024-05-01", owner="c1")],
            ),
        ),
        # earned b1 2020-03-01 after 10 days; m1 2023-03-01 (within 4 years, not 2)
        result(
            "L02",
            a,
            b1=cred("earned", "2020-03-01", applied=[attempt("X 1", "2020-02-20", owner="b1")]),
            m1=cred("earned", "2023-03-01", applied=[attempt("X 2", "2023-03-01", owner="m1")]),
        ),
        # earned b1 2023-01-21 after 20 days (observed 2 years by 2026-06-01, not 4); m1 partial
        result(
            "L03",
            a,
            b1=cred("earned", "2023-01-21", applied=[attempt("X 1", "2023-01-01", owner="b1")]),
            m1=cred("partial", progress=0.5),
        ),
        # earned b1 2025-02-05 after 35 days (too recent for either window); expired
        result(
            "L04",
            a,
            b1=cred(
                "expired",
                "2025-02-05",
                expires_on="2026-02-04",
                applied=[attempt("X 1", "2025-01-01", owner="b1")],
            ),
        ),
        # earned b1 2021-04-11 after 100 days, transfer credit 3
        result(
            "L05",
            a,
            b1=cred("earned", "2021-04-11", applied=[attempt("X 1", "2021-01-01", 3.0, status="transfer", owner="b1")]),
        ),
        # b1 awarded from outside (no time to credential)
        result("L06", a, b1=cred("earned", "2019-05-05", awarded=True)),
        # b1 started, not earned
        result("L07", a, b1=cred("partial", progress=0.5)),
        result("L08", a, b1=cred("in_progress", progress=0.5)),
        result("L09", a, b1=cred("partial", progress=0.25)),
        # b1 in progress with progress 0 (not an enrolment); m1 by prior learning (2.5 credits of b2's award)
        result(
            "L10",
            a,
            b1=cred("in_progress", progress=0.0),
            b2=cred("earned", "2022-02-02", awarded=True),
            m1=cred("partial", progress=0.5, applied=[attempt("b2", "2022-02-02", 2.5, status="awarded", owner="m1")]),
        ),
        result("L11", a),
        result("L12", a),
    ]


def test_counts_and_rates_worked_by_hand() -> None:
    t = metrics_of_results(population(), PORTFOLIO, min_group_size=1)
    assert value(t, "*", "learners") == 12
    assert value(t, "b1", "enrolled") == 9
    assert value(t, "b1", "earned") == 6
    assert value(t, "b1", "in_progress") == 2
    assert value(t, "b1", "expired") == 1
    assert value(t, "b1", "awarded") == 1
    assert value(t, "b1", "completion_rate") == Decimal("66.7")  # 6 / 9
    assert value(t, "b1", "expiry_rate") == Decimal("16.7")  # 1 / 6
    assert value(t, "b1", "transfer") == 1
    assert value(t, "b1", "transfer_credits") == Decimal("3.0")
    assert value(t, "m1", "prior_learning") == 1
    assert value(t, "m1", "prior_learning_credits") == Decimal("2.5")
    assert value(t, "m1", "enrolled") == 4 and value(t, "m1", "earned") == 2
    # types count distinct learners: a badge of either kind
    assert value(t, "type:badge", "earned") == 7
    assert value(t, "type:badge", "enrolled") == 10
    assert value(t, "type:badge", "awarded") == 2


def test_time_to_credential_quartiles_by_definition_7() -> None:
    t = metrics_of_results(population(), PORTFOLIO, min_group_size=1)
    # b1 by attempts: 0, 10, 20, 35, 100 days; h = 4p: q1 = x2 = 10, median = x3 = 20, q3 = x4 = 35
    assert value(t, "b1", "time_n") == 5
    assert (value(t, "b1", "time_q1"), value(t, "b1", "time_median"), value(t, "b1", "time_q3")) == (
        Decimal("10.0"),
        Decimal("20.0"),
        Decimal("35.0"),
    )
    # m1: L01 first counted attempt 2020-01-10 → 2021-06-01 (508 days); L02 0 days: median 254, q1 127, q3 381
    assert value(t, "m1", "time_median") == Decimal("254.0")
    assert value(t, "m1", "time_q1") == Decimal("127.0")
    assert value(t, "m1", "time_q3") == Decimal("381.0")


def test_an_award_counted_for_prior_learning_does_not_start_the_clock() -> None:
    m1 = cred(
        "earned",
        "2024-03-01",
        applied=[
            attempt("b2", "2015-01-01", 3.0, status="awarded", owner="m1"),
            attempt("X 2", "2024-01-01", owner="m1"),
            attempt("X 1", "2023-12-31", status="transfer", owner="m1"),
        ],
    )
    t = metrics_of_results([result("A1", "2026-06-01", m1=m1)], PORTFOLIO, min_group_size=1)
    assert value(t, "m1", "time_median") == Decimal("61.0")  # from the transfer attempt, 2023-12-31
    assert value(t, "m1", "prior_learning_credits") == Decimal("3.0")
    assert value(t, "*", "learners", dimension=COHORT, group="2024 Spring") == 1  # the completed attempt


def test_stack_through_within_two_and_four_years() -> None:
    t = metrics_of_results(population(), PORTFOLIO, min_group_size=1)
    # earners of b1 observed 2 years by 2026-06-01: earned by 2024-06-01: L01, L02, L03, L05, L06 (5)
    assert value(t, "b1", "stack_observed", target="m1", window=2) == 5
    assert value(t, "b1", "stack_through", target="m1", window=2) == 1  # L01
    assert value(t, "b1", "stack_through_rate", target="m1", window=2) == Decimal("20.0")
    # 4 years: earned by 2022-06-01: L01, L02, L05, L06 (4); L01 and L02 earned m1 within 4 years
    assert value(t, "b1", "stack_observed", target="m1", window=4) == 4
    assert value(t, "b1", "stack_through", target="m1", window=4) == 2
    assert value(t, "b1", "stack_through_rate", target="m1", window=4) == Decimal("50.0")
    # credits b1 applies to m1 for the stackers (L01: X 1, 3 credits; L02: none counted by b1): mean 1.5
    assert value(t, "b1", "stack_credits_mean", target="m1", window=4) == Decimal("1.5")
    # b1 → c1: L01 earned c1 2024-05-01, 4.3 years after b1: not within 4 years
    assert value(t, "b1", "stack_through", target="c1", window=4) == 0
    # type level: badge → microcredential, 4 years: L01, L02, L05, L06 observed (L10's b2 2022-02-02 is too
    # recent for 4 years); L01, L02 stacked
    assert value(t, "type:badge", "stack_observed", target="type:microcredential", window=4) == 4
    assert value(t, "type:badge", "stack_through", target="type:microcredential", window=4) == 2


def test_cohorts_are_entry_terms_and_attributes_are_dimensions() -> None:
    attrs = Attributes(("campus",), {f"L{i:02d}": ("North" if i <= 6 else "South",) for i in range(1, 12)})
    t = metrics_of_results(population(), PORTFOLIO, attrs, min_group_size=1)
    assert value(t, "*", "learners", dimension="campus", group="North") == 6
    assert value(t, "*", "learners", dimension="campus", group="South") == 5
    assert value(t, "*", "learners", dimension="campus", group="(missing)") == 1  # L12
    # L01's first completed attempt 2020-01-10: 2020 Spring; L05's only attempt is a transfer: no cohort
    assert value(t, "*", "learners", dimension=COHORT, group="2020 Spring") == 2  # L01, L02
    assert value(t, "b1", "earned", dimension=COHORT, group="(none)") == 2  # L05, L06
    assert term_of(dt.date(2024, 5, 31)) == "2024 Spring"
    assert term_of(dt.date(2024, 6, 1)) == "2024 Summer"
    assert term_of(dt.date(2024, 8, 1)) == "2024 Fall"


def test_a_cohort_column_replaces_the_entry_term() -> None:
    attrs = Attributes(("cohort",), {"L01": ("2019 Fall",)})
    t = metrics_of_results(population(), PORTFOLIO, attrs, min_group_size=1)
    assert value(t, "*", "learners", dimension=COHORT, group="2019 Fall") == 1
    assert value(t, "*", "learners", dimension=COHORT, group="2020 Spring") == 1  # L02 still by its attempts
    assert t.dimensions == (ALL, COHORT)


def test_renewal_between_two_dates() -> None:
    results = [
        result("R1", "2025-01-01", b1=cred("expired", "2020-01-01", expires_on="2024-01-01", awarded=True)),
        result("R1", "2026-01-01", b1=cred("earned", "2024-06-01", expires_on="2028-06-01", awarded=True)),
        result("R2", "2025-01-01", b1=cred("expired", "2020-01-01", expires_on="2024-01-01", awarded=True)),
        result("R2", "2026-01-01", b1=cred("earned", "2025-06-01", expires_on="2029-06-01", awarded=True)),  # too late
        result("R3", "2025-01-01", b1=cred("expired", "2020-01-01", expires_on="2024-01-01", awarded=True)),
        result("R3", "2026-01-01", b1=cred("expired", "2020-01-01", expires_on="2024-01-01", awarded=True)),
    ]
    t = metrics_of_results(results, PORTFOLIO, min_group_size=1)
    assert value(t, "b1", "renewal_base", as_of="2026-01-01") == 3
    assert value(t, "b1", "renewed", as_of="2026-01-01") == 1
    assert value(t, "b1", "renewal_rate", as_of="2026-01-01") == Decimal("33.3")
    assert value(t, "b1", "expired", as_of="2025-01-01") == 3
    assert value(t, "b1", "expired", as_of="2026-01-01") == 1


# -- suppression -------------------------------------------------------------------------------


def test_a_small_count_and_its_complement_are_hidden() -> None:
    results = [result(f"S{i:02d}", "2026-06-01", b1=cred("earned", "2025-01-01")) for i in range(25)]
    results += [result(f"T{i:02d}", "2026-06-01") for i in range(5)]
    attrs = Attributes(("campus",), {f"S{i:02d}": ("A" if i < 12 else "B" if i < 22 else "C",) for i in range(25)})
    t = metrics_of_results(results, PORTFOLIO, attrs)
    rows = {r.group: r for r in t.rows if r.subject == "b1" and r.metric == "earned" and r.dimension == "campus"}
    assert rows["C"].suppressed and rows["C"].value is None  # 3 earners
    assert rows["(missing)"].suppressed  # the 5 learners without attributes: a group under 10
    # (missing) holds 0 earners and C 3: together under 10, so one more is hidden: A (12) or B (10)
    assert rows["B"].suppressed and not rows["A"].suppressed
    assert value(t, "b1", "earned") == 25


def test_a_group_under_the_minimum_shows_nothing() -> None:
    results = [result(f"S{i:02d}", "2026-06-01", b1=cred("earned", "2025-01-01")) for i in range(12)]
    attrs = Attributes(("campus",), {f"S{i:02d}": ("A" if i < 9 else "B",) for i in range(12)})
    t = metrics_of_results(results, PORTFOLIO, attrs)
    for r in t.rows:
        if r.dimension == "campus":
            assert r.suppressed and r.value is None and r.denominator is None, r


@st.composite
def populations(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Attributes, int]:
    n = draw(st.integers(1, 60))
    k = draw(st.integers(2, 12))
    rnd = random.Random(draw(st.integers(0, 2**32)))
    results = []
    values: dict[str, tuple[str, ...]] = {}
    for i in range(n):
        lid = f"P{i:03d}"
        creds: dict[str, dict[str, Any]] = {}
        for cid in PORTFOLIO.types:
            roll = rnd.random()
            if roll < 0.4:
                continue
            year = rnd.randint(2015, 2025)
            day = f"{year}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"
            if roll < 0.55:
                creds[cid] = cred("partial", progress=0.5)
            elif roll < 0.6:
                creds[cid] = cred("earned", day, awarded=True)
            else:
                creds[cid] = cred(
                    "expired" if roll > 0.9 else "earned",
                    day,
                    applied=[attempt("X 1", f"{year - rnd.randint(0, 1)}-01-0{rnd.randint(1, 9)}", owner=cid)],
                    expires_on="2026-01-01" if roll > 0.9 else None,
                )
        results.append(result(lid, "2026-06-01", **creds))
        values[lid] = (rnd.choice("ABCDE"), rnd.choice(["x", "y"]))
    return results, Attributes(("campus", "mode"), values), k


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations())
def test_suppression_hides_every_small_group_and_no_hidden_count_follows_from_a_total(
    case: tuple[list[dict[str, Any]], Attributes, int],
) -> None:
    results, attrs, k = case
    t = metrics_of_results(results, PORTFOLIO, attrs, min_group_size=k)
    # the truth, to compare with
    truth = metrics_of_results(results, PORTFOLIO, attrs, min_group_size=1)
    true_value = {(r.subject, r.target, r.window, r.metric, r.dimension, r.group): r.value for r in truth.rows}
    sizes = {(r.dimension, r.group): r.value for r in truth.rows if r.subject == "*"}
    counts = {"learners", "enrolled", "earned", "in_progress", "expired", "awarded", "time_n", "prior_learning"}
    counts |= {"transfer", "stack_observed", "stack_through", "renewal_base", "renewed"}
    families: dict[tuple[Any, ...], list[Any]] = {}
    for r in t.rows:
        key = (r.subject, r.target, r.window, r.metric, r.dimension, r.group)
        if r.suppressed:
            assert r.value is None and r.denominator is None
        else:
            assert r.value == true_value[key]  # what is shown is true
        size = sizes[(r.dimension, r.group)]
        assert isinstance(size, int)
        if size < k:
            assert r.suppressed, f"group {r.dimension}={r.group} has {size} learners but shows {r}"
        if r.metric in counts:
            v = true_value[key]
            assert isinstance(v, int)
            if 0 < v < k:
                assert r.suppressed, r
            if r.dimension != ALL:
                families.setdefault((r.subject, r.target, r.window, r.metric, r.dimension), []).append((r, v))
    for (subject, target, window, metric, _dim), parts in families.items():
        total = t.get(t.as_of_dates()[0], subject, metric, target=target, window=window)
        assert total is not None
        if total.suppressed or total.value == 0:
            continue  # (a total of 0 says by itself that every part is 0)
        hidden = [v for r, v in parts if r.suppressed]
        # no hidden part, or at least two whose sum is at least k: each of them could be 0 or all of it
        assert not hidden or (len(hidden) >= 2 and sum(hidden) >= k), (subject, metric, parts)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.integers(0, 50), st.integers(0, 30), max_size=8),
    st.lists(st.integers(0, 7), max_size=4),
    st.integers(2, 12),
)
def test_suppress_leaves_every_relation_safe(parts: dict[int, int], extra: list[int], k: int) -> None:
    keys = [(str(i), "", "", "", "", 0, "m") for i in parts]
    values = {key: parts[int(key[0])] for key in keys}
    total = ("total", "", "", "", "", 0, "m")
    values[total] = sum(values.values())
    primary = {key for key in keys if 0 < values[key] < k} | {keys[i] for i in extra if i < len(keys)}
    if values[total] < k:
        primary.add(total)
    hidden = suppress(values, [(total, keys)], primary, k)
    assert primary <= hidden
    if total not in hidden and values[total] > 0:
        h = [values[p] for p in keys if p in hidden]
        assert not h or (len(h) >= 2 and sum(h) >= k)


# -- exactness: quantiles and rounding ---------------------------------------------------------------


@given(st.lists(st.integers(0, 3000), min_size=1, max_size=80), st.sampled_from([1, 2, 3]))
def test_quantiles_agree_with_numpy_linear(values: list[int], quarter: int) -> None:
    hist: dict[int, int] = {}
    for v in values:
        hist[v] = hist.get(v, 0) + 1
    ours = quantile(hist, Fraction(quarter, 4))
    theirs = np.quantile(np.array(values, dtype=float), quarter / 4, method="linear")
    assert float(ours) == pytest.approx(float(theirs), abs=1e-9)
    assert ours.denominator in (1, 2, 4)  # a multiple of a quarter day: rounded by figures.amount
    assert amount(ours) == Decimal(str(float(ours))).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


def test_one_rounding_rule() -> None:
    assert rate(2, 3) == Decimal("66.7") and rate(1, 3) == Decimal("33.3") and rate(1, 8) == Decimal("12.5")
    assert rate(1, 16) == Decimal("6.3")  # 6.25: half up
    assert rate(0, 0) is None
    assert amount(Fraction(41, 4)) == Decimal("10.3") and amount(Fraction(5, 2)) == Decimal("2.5")


# -- streaming: merged parts give the same numbers ----------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(), st.integers(1, 5))
def test_parts_merged_give_the_same_table(case: tuple[list[dict[str, Any]], Attributes, int], n_parts: int) -> None:
    results, attrs, k = case
    whole = MetricsAccumulator(PORTFOLIO, attrs).add_all(results).table(k)
    parts = [MetricsAccumulator(PORTFOLIO, attrs).add_all(results[i::n_parts]) for i in range(n_parts)]
    merged = parts[0]
    for p in parts[1:]:
        merged.merge(p)
    assert merged.table(k).rows == whole.rows


# -- bad inputs ------------------------------------------------------------------------------------


def test_bad_attribute_files_name_the_place(tmp_path: Path) -> None:
    cases = {
        "id,campus\nL1,N\n": (1, 1, "no learner_id column"),
        "learner_id,campus\nL1,N\nL1,S\n": (3, 1, "learner L1 is given twice (first on line 2)"),
        "learner_id,campus\nL1\n": (2, 1, "1 cells where the header has 2"),
        "learner_id,campus,campus\n": (1, 3, "column 'campus' given twice"),
        "learner_id,all\n": (1, 2, "a column named 'all'"),
        "": (1, 1, "empty file"),
    }
    for text, (line, col, what) in cases.items():
        p = tmp_path / "attrs.csv"
        p.write_text(text, encoding="utf-8")
        with pytest.raises(MetricsInputError) as exc:
            read_attributes(p)
        assert (exc.value.line, exc.value.column) == (line, col), text
        assert what in str(exc.value) and str(p) in str(exc.value)


def test_attributes_read_with_missing_values(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("learner_id,campus,programme\nL1,North,\n\nL2,,BS\n", encoding="utf-8")
    a = read_attributes(p)
    assert a.columns == ("campus", "programme")
    assert a.of("L1") == ("North", "(missing)") and a.of("L2") == ("(missing)", "BS")
    assert a.of("nobody") == ("(missing)", "(missing)")


def test_bad_results_lines_name_the_place(tmp_path: Path) -> None:
    good = '{"learner":{"id":"L1"},"as_of":"2026-01-01","credentials":{}}'
    cases = {
        "{not json": (1, "not JSON"),
        f"{good}\n[1, 2]": (2, "not a JSON object"),
        '{"learner":{},"as_of":"2026-01-01","credentials":{}}': (1, "no learner id"),
        '{"learner":{"id":"L"},"as_of":"2026-13-01","credentials":{}}': (1, "as_of is not a date"),
        '{"learner":{"id":"L"},"as_of":"2026-01-01","credentials":{"b1":{"status":"won"}}}': (1, "no valid status"),
        '{"learner":{"id":"L"},"as_of":"2026-01-01","credentials":{"b1":{"status":"earned","progress":1}}}': (
            1,
            "earned but no earned_on",
        ),
        '{"learner":{"id":"L"},"as_of":"2026-01-01","credentials":{"b1":{"status":"partial","progress":2}}}': (
            1,
            "progress is not a number from 0 to 1",
        ),
    }
    for text, (line, what) in cases.items():
        p = tmp_path / "r.jsonl"
        p.write_text(text + "\n", encoding="utf-8")
        with pytest.raises(MetricsInputError) as exc:
            list(read_results([p]))
        assert exc.value.line == line and what in str(exc.value), (text, str(exc.value))


def test_error_records_are_left_out(tmp_path: Path) -> None:
    p = tmp_path / "r.jsonl"
    p.write_text(
        '{"learner":{"id":"L9"},"errors":[]}\n\n' + '{"learner":{"id":"L1"},"as_of":"2026-01-01","credentials":{}}\n'
    )
    assert [r["learner"]["id"] for r in read_results([p])] == ["L1"]
