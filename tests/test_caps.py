"""Caps (``limits``) are exact however many capped items a learner has.

Sixteen awarded 3-credit badges under a 24-credit cap on prior learning allow C(16, 8) =
12,870 maximal sets of badges: more than the solver tries one by one, so one CP-SAT model
with the cap as a linear constraint decides. The results are checked against the brute-force
reference, against the enumeration of every set, and across engines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from reference import reference_evaluate
from test_exactness import cpsat_forced

from microcred.checks.validate import validate_catalog
from microcred.io.transcript import Transcript
from microcred.model.catalog import Catalog, CatalogInfo, Course, Credential
from microcred.rules import cpsat, solver
from microcred.rules.evaluate import evaluate
from microcred.taxonomy.models import Taxonomy

AS_OF = dt.date(2026, 1, 1)


def badges_catalog(n: int, six: list[str], cap: int, need: int) -> Catalog:
    """n 3-credit badges; a certificate needing ``need`` credits from the badges ``six`` and
    6 more from any badge, with at most ``cap`` credits of prior learning."""
    badges = [{"id": f"b{i:02d}", "type": "badge", "title": f"Badge {i}", "credits": 3} for i in range(n)]
    cert: dict[str, Any] = {
        "id": "cert",
        "type": "certificate",
        "title": "Certificate",
        "limits": {"prior_learning_credits": cap},
        "requires": {
            "all": [
                {"credits": need, "from": {"subject": "CSCI", "credentials": {"ids": six}}},
                {"credits": 6, "from": {"subject": "CSCI", "credentials": {"type": "badge"}}},
            ]
        },
    }
    catalog = Catalog(
        info=CatalogInfo.model_validate({"id": "t", "name": "T"}),
        taxonomy=Taxonomy.model_validate({"types": {"badge": {"stacks_into": ["certificate"]}, "certificate": {}}}),
        courses={"CSCI 1000": Course.model_validate({"id": "CSCI 1000", "title": "A", "credits": 3})},
        credentials={c["id"]: Credential.model_validate(c) for c in [*badges, cert]},
    )
    assert validate_catalog(catalog).valid
    return catalog


def holder(n: int) -> Transcript:
    """Every badge awarded, one a day from 2023-01-01 (badge i on day i + 1)."""
    awarded = [
        {"credential": f"b{i:02d}", "date": (dt.date(2023, 1, 1) + dt.timedelta(days=i)).isoformat()} for i in range(n)
    ]
    return Transcript.model_validate({"learner": {"id": "L"}, "attempts": [], "awarded": awarded})


SIXTEEN = badges_catalog(16, [f"b{i:02d}" for i in range(10, 16)], 24, 18)


def test_sixteen_badges_under_a_24_credit_cap_earn_the_certificate() -> None:
    # The six badges the 18-credit node needs are the last six by id (b10..b15, awarded
    # 2023-01-11..16), so the first 2,000 sets in order all miss one of them: stopping there
    # reported `partial` 0.9167. Eight badges fit the cap: the six and two others; the
    # certificate holds once the last of the six is awarded.
    before = cpsat.calls
    r = evaluate(SIXTEEN, holder(16), AS_OF).credentials["cert"]
    assert (r.status, r.earned_on, r.progress) == ("earned", dt.date(2023, 1, 16), 1.0)
    assert cpsat.calls > before  # the sets were too many to try: CP-SAT decided
    counted = [a.course for a in r.applied]
    assert len(counted) == 8 and {f"b{i:02d}" for i in range(10, 16)} <= set(counted)


def test_sixteen_badges_give_the_same_result_with_cp_sat_forced() -> None:
    default = evaluate(SIXTEEN, holder(16), AS_OF).to_json()
    with cpsat_forced():
        forced = evaluate(SIXTEEN, holder(16), AS_OF).to_json()
    assert forced == default


def test_too_many_sets_and_no_cp_sat_answer_still_tries_every_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """No silent budget: when CP-SAT cannot answer, every maximal set is tried, however
    many there are. Eight badges under a 15-credit cap (C(8, 5) = 56 sets), at most 5 tried
    one by one before CP-SAT would take over, and CP-SAT failing."""
    catalog = badges_catalog(8, ["b05", "b06", "b07"], 15, 9)
    expected = evaluate(catalog, holder(8), AS_OF).to_json()
    monkeypatch.setattr(solver, "BUDGET_SUBSETS", 5)
    asked: list[int] = []

    def fails(*args: Any, **kwargs: Any) -> None:
        asked.append(1)

    monkeypatch.setattr(cpsat, "solve_caps_cpsat", fails)
    got = evaluate(catalog, holder(8), AS_OF)
    assert asked  # CP-SAT was asked, and gave no answer
    r = got.credentials["cert"]
    assert (r.status, r.earned_on) == ("earned", dt.date(2023, 1, 8))
    assert got.to_json() == expected


@pytest.mark.parametrize("cap", [0, 3, 9, 12, 15, 24])
def test_capped_progress_matches_the_reference_with_either_engine(cap: int) -> None:
    # Fewer credits than needed under most caps: the best progress the cap allows, exact
    # (the reference tries every set of awards within the cap).
    catalog = badges_catalog(8, ["b05", "b06", "b07"], cap, 9)
    want = reference_evaluate(catalog, holder(8), AS_OF)["cert"]
    default = evaluate(catalog, holder(8), AS_OF)
    with cpsat_forced():
        forced = evaluate(catalog, holder(8), AS_OF)
    r = default.credentials["cert"]
    assert (r.status, r.earned_on) == (want.status, want.earned_on)
    assert r.progress == pytest.approx(float(want.progress), abs=1e-12)
    assert forced.to_json() == default.to_json()
