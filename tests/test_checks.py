"""Static checks of a catalogue: references, taxonomy, counts, logic (E3xx, E4xx, W601–W604).

Each test validates a small broken catalogue: BASE (conftest.py, 9 lines) and then the
credentials written in the test, whose first line is line 10. Inside an item written as
``- id: ...`` the keys are at column 5, and a rule under ``requires:`` at column 7.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASE, Checker

from microcred.checks.validate import ValidationReport
from microcred.rules import skeleton

Run = Callable[[str], ValidationReport]


def only(report: ValidationReport, code: str) -> tuple[int, int, str]:
    """(line, column, message) of the one diagnostic with ``code``; and no other code."""
    found = [d for d in report.diagnostics if d.code == code]
    assert len(found) == 1, "\n".join(map(str, report.diagnostics))
    others = [d for d in report.diagnostics if d.code != code]
    assert not others, "\n".join(map(str, others))
    loc = found[0].location
    assert loc is not None
    return loc.line, loc.column, found[0].message


# --- E301 / E302 dangling references ---------------------------------------------------------


def test_e301_unknown_course_in_a_course_node(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            course: CSCI 1411
        """
    )
    line, col, msg = only(report, "E301")
    assert (line, col) == (14, 15)
    assert "'CSCI 1411'" in msg and "did you mean 'CSCI 1410'?" in msg


def test_e301_unknown_course_in_selector_ids_and_exclude(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            all:
              - courses: 1
                from: {ids: [CSCI 1410, CSCI 9999]}
              - gpa: 2.0
                over: {subject: CSCI, exclude: [CSCI 0000]}
        """
    )
    found = sorted((d.code, d.location.line, d.location.column) for d in report.diagnostics if d.location)
    assert found == [("E301", 16, 35), ("E301", 18, 43)]


def test_e302_unknown_credential(credentials: Run) -> None:
    report = credentials(
        """
        - id: c1
          type: certificate
          title: C
          requires:
            all:
              - credential: b2
              - course: CSCI 1410
        - id: b1
          type: badge
          title: B
          requires: {course: MATH 1110}
        """
    )
    line, col, msg = only(report, "E302")  # and no W602 about c1: the reference is just wrong
    assert (line, col) == (15, 23)
    assert "'b2' is not in the catalogue" in msg


def test_e302_unknown_credential_admitted_for_credit(credentials: Run) -> None:
    report = credentials(
        """
        - id: c1
          type: certificate
          title: C
          requires:
            credits: 6
            from: {subject: CSCI, credentials: {ids: [aws]}}
        """
    )
    line, col, _msg = only(report, "E302")
    assert (line, col) == (15, 49)


def test_reference_to_an_entry_that_failed_to_load_is_not_dangling(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: 12:30
          requires: {course: CSCI 1410}
        - id: c1
          type: certificate
          title: C
          requires: {credential: b1}
        """
    )
    assert [d.code for d in report.diagnostics] == ["E203"]


# --- E303 unknown credential type ------------------------------------------------------------


def test_e303_unknown_credential_type(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badje
          title: B
          requires: {course: CSCI 1410}
        """
    )
    line, col, msg = only(report, "E303")
    assert (line, col) == (11, 11)
    assert "did you mean 'badge'?" in msg


def test_e303_stacks_into_unknown_type(check: Checker) -> None:
    report = check("taxonomy:\n  types:\n    badge: {stacks_into: [certificate, degre]}\n    certificate: {}\n")
    line, col, _msg = only(report, "E303")
    assert (line, col) == (3, 40)


def test_e303_unknown_type_admitted_for_credit(credentials: Run) -> None:
    report = credentials(
        """
        - id: c1
          type: certificate
          title: C
          requires:
            credits: 6
            from: {subject: CSCI, credentials: {type: badges}}
        """
    )
    line, col, msg = only(report, "E303")
    assert (line, col) == (15, 49)
    assert "did you mean 'badge'?" in msg


# --- E304 stacking cycle ---------------------------------------------------------------------

CYCLE_TAXONOMY = """\
taxonomy:
  types:
    certificate: {stacks_into: [certificate]}
courses:
  - {id: CSCI 1410, title: Fundamentals, credits: 3}
credentials:
"""


def test_e304_cycle_names_the_cycle(check: Checker) -> None:
    report = check(
        CYCLE_TAXONOMY
        + "  - {id: alpha, type: certificate, title: A, requires: {all: [{credential: beta}, {course: CSCI 1410}]}}\n"
        + "  - {id: beta, type: certificate, title: B, requires: {credential: gamma}}\n"
        + "  - {id: gamma, type: certificate, title: G, requires: {credential: alpha}}\n"
    )
    line, col, msg = only(report, "E304")
    # in stacking order: alpha counts toward gamma, gamma toward beta, beta toward alpha
    assert "alpha → gamma → beta → alpha" in msg
    # it points at the reference to alpha, in gamma's rule
    assert (line, col) == (9, 56)


def test_e304_self_reference(check: Checker) -> None:
    report = check(CYCLE_TAXONOMY + "  - {id: alpha, type: certificate, title: A, requires: {credential: alpha}}\n")
    line, col, msg = only(report, "E304")
    assert "alpha → alpha" in msg
    assert (line, col) == (7, 56)


def test_e304_every_cycle_is_reported_once(check: Checker) -> None:
    report = check(
        CYCLE_TAXONOMY
        + "  - {id: a, type: certificate, title: A, requires: {credential: b}}\n"
        + "  - {id: b, type: certificate, title: B, requires: {credential: a}}\n"
        + "  - {id: c, type: certificate, title: C, requires: {credential: d}}\n"
        + "  - {id: d, type: certificate, title: D, requires: {credential: c}}\n"
    )
    assert [d.code for d in report.diagnostics] == ["E304", "E304"]
    assert {d.message.split(";")[0] for d in report.diagnostics} == {
        "stacking cycle: a → b → a",
        "stacking cycle: c → d → c",
    }


# --- E305 stacking forbidden by the taxonomy ----------------------------------------------------


def test_e305_forbidden_stacking(credentials: Run) -> None:
    report = credentials(
        """
        - id: c1
          type: certificate
          title: C
          requires: {course: CSCI 1410}
        - id: b1
          type: badge
          title: B
          requires:
            all:
              - credential: c1
              - course: CSCI 2312
        """
    )
    line, col, msg = only(report, "E305")
    assert (line, col) == (19, 11)
    assert "'c1' (certificate) cannot stack into 'b1' (badge)" in msg
    assert "stacks_into" in msg


def test_allowed_stacking_is_valid(credentials: Run) -> None:
    report = credentials(
        """
        - {id: b1, type: badge, title: B, requires: {course: CSCI 1410}}
        - {id: c1, type: certificate, title: C, requires: {all: [{credential: b1}, {course: CSCI 2312}]}}
        """
    )
    assert report.diagnostics == []


# --- E306 grades -----------------------------------------------------------------------------


def test_e306_min_grade_not_on_the_scale(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          min_grade: C+-
          requires:
            course: CSCI 1410
            min_grade: P
        """
    )
    found = sorted((d.code, d.location.line, d.location.column, d.message) for d in report.diagnostics if d.location)
    assert [f[:3] for f in found] == [("E306", 13, 16), ("E306", 16, 18)]
    assert "'C+-' is not on the grade scale" in found[0][3]
    assert "'P' has no grade points" in found[1][3]


def test_e306_against_the_catalogue_scale(check: Checker) -> None:
    report = check(
        "taxonomy:\n"
        "  grade_scale: {H: 7, M: 5, L: 1, X: 0}\n"
        "  types: {badge: {}}\n"
        "courses:\n"
        "  - {id: CSCI 1410, title: T, credits: 3}\n"
        "credentials:\n"
        "  - {id: b1, type: badge, title: B, min_grade: C, requires: {course: CSCI 1410}}\n"
        "  - {id: b2, type: badge, title: B, min_grade: M, requires: {course: CSCI 1410}}\n"
    )
    line, col, msg = only(report, "E306")
    assert (line, col) == (7, 48)
    assert "grades: H, M, L, X" in msg


# --- E307 required metadata missing --------------------------------------------------------------


def test_e307_required_fields(check: Checker) -> None:
    report = check(
        "taxonomy:\n"
        "  types:\n"
        "    badge: {required_fields: [description, criteria, eqf_level]}\n"
        "credentials:\n"
        "  - id: b1\n"
        "    type: badge\n"
        "    title: B\n"
        "    description: ''\n"
        "    metadata: {eqf_level: 4}\n"
        "  - id: b2\n"
        "    type: badge\n"
        "    title: B\n"
        "    description: Something.\n"
        "    criteria: Something.\n"
        "    metadata: {eqf_level: 5}\n"
    )
    found = [(d.code, d.location.line, d.location.column, d.message) for d in report.diagnostics if d.location]
    assert [f[:3] for f in found] == [("E307", 5, 5), ("E307", 5, 5)]
    assert "lacks 'criteria'" in found[0][3] or "lacks 'criteria'" in found[1][3]
    assert any("lacks 'description'" in f[3] for f in found)


# --- E308 credits outside the type's bounds ---------------------------------------------------------


@pytest.mark.parametrize(("credits", "bad"), [(0.5, True), (1, False), (3, False), (4, True)])
def test_e308_credit_bounds(check: Checker, credits: float, bad: bool) -> None:
    report = check(
        "taxonomy:\n"
        "  types:\n"
        "    badge: {credits: {min: 1, max: 3}}\n"
        "credentials:\n"
        f"  - {{id: b1, type: badge, title: B, credits: {credits}}}\n"
    )
    if bad:
        line, col, msg = only(report, "E308")
        assert (line, col) == (5, 46)
        assert "1 to 3" in msg
    else:
        assert report.diagnostics == []


def test_e308_one_sided_bounds(check: Checker) -> None:
    report = check(
        "taxonomy:\n"
        "  types:\n"
        "    degree: {credits: {min: 60}}\n"
        "    badge: {credits: {max: 3}}\n"
        "credentials:\n"
        "  - {id: d, type: degree, title: D, credits: 59}\n"
        "  - {id: b, type: badge, title: B, credits: 4}\n"
    )
    msgs = [d.message for d in report.diagnostics]
    assert [d.code for d in report.diagnostics] == ["E308", "E308"]
    assert "at least 60" in msgs[0] and "at most 3" in msgs[1]


# --- E401–E405 rules that can never hold -------------------------------------------------------


def test_e401_at_least_of_fewer(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            at_least: 3
            of:
              - course: CSCI 1410
              - course: CSCI 2312
        """
    )
    line, col, msg = only(report, "E401")
    assert (line, col) == (14, 17)
    assert "at_least: 3 of only 2" in msg


def test_e402_more_courses_than_the_selector_matches(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            courses: 3
            from: {subject: CSCI}
        """
    )
    line, col, msg = only(report, "E402")
    assert (line, col) == (14, 16)
    assert "needs 3 courses" in msg and "only 2" in msg


def test_e402_exclude_and_level_narrow_the_supply(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            courses: 1
            from: {subject: [CSCI, MATH], level: "2000+", exclude: [CSCI 2312]}
        """
    )
    assert only(report, "E402")[:2] == (14, 16)


def test_e403_more_credits_than_the_selector_supplies(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            credits: 7
            from: {subject: CSCI}
        """
    )
    line, col, msg = only(report, "E403")
    assert (line, col) == (14, 16)
    assert "needs 7 credits" in msg and "only 6" in msg


def test_admitted_credentials_add_to_the_credit_supply(credentials: Run) -> None:
    report = credentials(
        """
        - {id: b1, type: badge, title: B, credits: 2, requires: {course: MATH 1110}}
        - id: c1
          type: certificate
          title: C
          requires:
            credits: 8
            from: {subject: CSCI, credentials: {type: badge}}
        """
    )
    assert report.diagnostics == []


def test_e404_same_course_needed_twice(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            all:
              - course: CSCI 1410
              - any:
                  - course: CSCI 1410
                  - all: [{course: CSCI 1410}, {course: MATH 1110}]
        """
    )
    line, col, msg = only(report, "E404")
    assert (line, col) == (17, 15)
    assert "CSCI 1410" in msg and "shared: true" in msg


def test_e404_not_reported_when_shared(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            all:
              - course: CSCI 1410
              - {course: CSCI 1410, shared: true}
        """
    )
    # no E404; but a shared leaf that the other child already implies is redundant
    assert [d.code for d in report.diagnostics] == ["W603"]
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            all:
              - course: CSCI 1410
              - {courses: 2, from: {subject: CSCI}, shared: true}
        """
    )
    assert report.diagnostics == []


def test_e404_at_least_that_needs_a_course_twice(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            at_least: 2
            of:
              - course: CSCI 1410
              - course: CSCI 1410
        """
    )
    assert only(report, "E404")[:2] == (17, 11)  # the second use


def test_e405_gpa_above_the_scale(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            gpa: 4.3
        """
    )
    line, col, msg = only(report, "E405")
    assert (line, col) == (14, 12)
    assert "top of the grade scale is 4" in msg


def test_e405_uses_the_catalogue_scale(check: Checker) -> None:
    report = check(
        "taxonomy: {grade_scale: {H: 7, P: {points: null, passing: true}}, types: {t: {}}}\n"
        "courses: [{id: X 1, title: T, credits: 1}]\n"
        "credentials:\n"
        "  - {id: a, type: t, title: A, requires: {all: [{course: X 1}, {gpa: 6.5}]}}\n"
        "  - {id: b, type: t, title: B, requires: {all: [{course: X 1}, {gpa: 7.5}]}}\n"
    )
    assert only(report, "E405")[:2] == (5, 70)


# --- W601 selector matches no course -------------------------------------------------------------


def test_w601_gpa_over_a_subject_with_no_courses(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            all:
              - course: CSCI 1410
              - gpa: 3.0
                over: {subject: PHYS}
        """
    )
    line, col, msg = only(report, "W601")
    assert (line, col) == (17, 17)  # the selector
    assert "PHYS" in msg
    assert report.valid


def test_w601_credits_only_from_credentials(credentials: Run) -> None:
    report = credentials(
        """
        - {id: b1, type: badge, title: B, credits: 3, requires: {course: MATH 1110}}
        - id: c1
          type: certificate
          title: C
          requires:
            credits: 3
            from: {attribute: lab, credentials: {ids: [b1]}}
        """
    )
    line, col, _msg = only(report, "W601")
    assert (line, col) == (16, 13)


# --- W609 credits from credentials only can no longer be met ---------------------------------


def test_w608_credits_from_credentials_only_fall_short(credentials: Run) -> None:
    # CONTRACT.md §6: a selector of only `credentials:` admits no course. The badges are worth
    # 1 credit in all; the courses (10 credits) used to make up the rest.
    report = credentials(
        """
        - {id: b1, type: badge, title: B, credits: 1, requires: {course: MATH 1110}}
        - id: c1
          type: certificate
          title: C
          requires:
            credits: 6
            from: {credentials: {type: badge}}
        """
    )
    line, col, msg = only(report, "W609")
    assert (line, col) == (16, 13)  # the selector
    assert "needs 6 credits from: awarded credentials of type badge" in msg
    assert "only 1 credit in all" in msg
    assert "add course filters beside `credentials:`" in msg and "split it into two nodes" in msg
    assert report.valid  # a warning: the catalogue still validates, and nothing else is reported


def test_credentials_only_selector_that_can_be_met_is_clean(credentials: Run) -> None:
    report = credentials(
        """
        - {id: b1, type: badge, title: B, credits: 3, requires: {course: MATH 1110}}
        - id: c1
          type: certificate
          title: C
          requires: {credits: 3, from: {credentials: {ids: [b1]}}}
        """
    )
    assert report.diagnostics == []  # no W601 either: admitting no course is what it says


def test_credentials_only_selector_short_under_either_reading_is_e403(credentials: Run) -> None:
    # 10 credits of courses and 1 of badges: 12 could not be met even when courses counted
    report = credentials(
        """
        - {id: b1, type: badge, title: B, credits: 1, requires: {course: MATH 1110}}
        - id: c1
          type: certificate
          title: C
          requires: {credits: 12, from: {credentials: {type: badge}}}
        """
    )
    assert only(report, "E403")[:2] == (14, 25)  # the credits asked for


def test_subject_and_attribute_lists_mean_any_of_them(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            all:
              - {courses: 3, from: {subject: [CSCI, MATH]}}
              - {courses: 1, from: {attribute: [lab, quant]}, shared: true}
              - {courses: 3, from: {level: "<=2999"}, shared: true}
        """
    )
    assert report.diagnostics == []


# --- W602 unreachable credential ------------------------------------------------------------------


def test_w602_credential_that_includes_an_award_only_credential(credentials: Run) -> None:
    report = credentials(
        """
        - id: aws
          type: badge
          title: Industry certification, awarded only
        - id: c1
          type: certificate
          title: C
          requires:
            all:
              - credential: aws
              - course: CSCI 1410
        """
    )
    line, col, msg = only(report, "W602")
    assert (line, col) == (17, 7)  # the rule
    assert "'c1'" in msg and "aws" in msg
    assert report.valid


def test_w602_credential_whose_inline_credential_needs_the_same_course(credentials: Run) -> None:
    report = credentials(
        """
        - {id: b1, type: badge, title: B, requires: {course: CSCI 1410}}
        - id: c1
          type: certificate
          title: C
          requires:
            all:
              - credential: b1
              - course: CSCI 1410
        """
    )
    line, col, msg = only(report, "W602")
    assert (line, col) == (15, 7)
    assert "same courses" in msg


def test_w602_not_reported_when_another_branch_is_earnable(credentials: Run) -> None:
    report = credentials(
        """
        - {id: aws, type: badge, title: Awarded only}
        - id: c1
          type: certificate
          title: C
          requires:
            any:
              - credential: aws
              - course: CSCI 1410
        """
    )
    assert report.diagnostics == []


# --- W603 redundant branch --------------------------------------------------------------------------


def test_w603_redundant_any_branch(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            any:
              - course: CSCI 1410
              - all: [{course: CSCI 1410}, {course: CSCI 2312}]
        """
    )
    line, col, msg = only(report, "W603")
    assert (line, col) == (16, 11)
    assert "covers it" in msg and "line 15, column 11" in msg


def test_w603_not_reported_when_min_grades_differ(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            any:
              - {course: CSCI 1410, min_grade: B}
              - all: [{course: CSCI 1410}, {course: CSCI 2312}]
        """
    )
    assert report.diagnostics == []


def test_w603_gpa_floor_implied_by_a_stricter_one(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            all:
              - course: CSCI 1410
              - {gpa: 2.0, label: GPA floor}
              - {gpa: 2.0, label: same GPA floor}
        """
    )
    line, _col, _msg = only(report, "W603")
    assert line in (16, 17)


# --- W604 rule too large for logical analysis -----------------------------------------------------


def test_w604_rule_too_large(check: Checker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(skeleton, "MAX_VARIABLES", 40)
    courses = "".join(f"  - {{id: X {1000 + i}, title: T, credits: 1}}\n" for i in range(30))
    of = "".join(f"        - course: X {1000 + i}\n" for i in range(30))
    report = check(
        "taxonomy: {types: {t: {}}}\ncourses:\n" + courses + "credentials:\n"
        "  - id: big\n    type: t\n    title: B\n    requires:\n      at_least: 10\n      of:\n" + of
    )
    line, col, _msg = only(report, "W604")
    assert (line, col) == (38, 7)
    assert report.valid


# --- E205 node ids ----------------------------------------------------------------------------------


def test_e205_node_id_used_twice_in_a_credential(credentials: Run) -> None:
    report = credentials(
        """
        - id: b1
          type: badge
          title: B
          requires:
            all:
              - {id: core, course: CSCI 1410}
              - {id: core, course: CSCI 2312}
        """
    )
    line, col, msg = only(report, "E205")
    assert (line, col) == (16, 16)
    assert "'core'" in msg and ":15:16" in msg


def test_node_ids_may_repeat_across_credentials(credentials: Run) -> None:
    report = credentials(
        """
        - {id: b1, type: badge, title: B, requires: {id: core, course: CSCI 1410}}
        - {id: b2, type: badge, title: B, requires: {id: core, course: CSCI 2312}}
        """
    )
    assert report.diagnostics == []


# --- many independent problems are all reported ------------------------------------------------------


def test_independent_check_errors_are_all_collected(credentials: Run) -> None:
    report = credentials(
        """
        - {id: b1, type: badge, title: B, requires: {course: NOPE 1000}}
        - {id: b2, type: badg, title: B, requires: {course: CSCI 1410}}
        - {id: b3, type: badge, title: B, requires: {gpa: 5}}
        """
    )
    assert sorted((d.code, d.location.line) for d in report.diagnostics if d.location) == [
        ("E301", 10),
        ("E303", 11),
        ("E405", 12),
    ]


def test_base_alone_is_valid(check: Checker) -> None:
    assert check(BASE).diagnostics == []


def test_counting_node_competing_with_a_course_node_can_never_hold(tmp_path: Path) -> None:
    """Each selector alone has enough courses, but together they need three from two."""
    from microcred.checks.validate import validate_paths

    p = tmp_path / "c.yaml"
    p.write_text(
        "catalog: {id: x, name: X}\n"
        "taxonomy: {types: {badge: {}}}\n"
        "courses:\n"
        "  - {id: CSCI 1410, title: A, credits: 3}\n"
        "  - {id: CSCI 2000, title: B, credits: 3}\n"
        "credentials:\n"
        "  - id: b1\n"
        "    type: badge\n"
        "    title: B1\n"
        "    requires:\n"
        "      all:\n"
        "        - {courses: 2, from: {subject: CSCI}}\n"
        "        - {course: CSCI 1410}\n"
        "  - id: ok\n"
        "    type: badge\n"
        "    title: OK\n"
        "    requires:\n"
        "      all:\n"
        "        - {courses: 1, from: {subject: CSCI}}\n"
        "        - {course: CSCI 1410}\n"
    )
    report = validate_paths(p)
    assert [(d.code, d.location.line if d.location else 0) for d in report.errors] == [("E404", 11)]


def test_sharing_limit_names_an_unknown_credential(tmp_path: Path) -> None:
    from microcred.checks.validate import validate_paths

    p = tmp_path / "c.yaml"
    p.write_text(
        "catalog: {id: x, name: X}\n"
        "taxonomy: {types: {minor: {}}}\n"
        "courses:\n"
        "  - {id: CSCI 1410, title: A, credits: 3}\n"
        "credentials:\n"
        "  - id: m\n"
        "    type: minor\n"
        "    title: M\n"
        "    limits: {shared_with: [{credential: majr, max_courses: 1}]}\n"
        "    requires: {course: CSCI 1410}\n"
    )
    report = validate_paths(p)
    assert [(d.code, d.location.line if d.location else 0) for d in report.errors] == [("E302", 9)]


def test_sharing_limit_needs_exactly_one_cap(tmp_path: Path) -> None:
    from microcred.checks.validate import validate_paths

    p = tmp_path / "c.yaml"
    p.write_text(
        "taxonomy: {types: {minor: {}}}\n"
        "credentials:\n"
        "  - id: m\n"
        "    type: minor\n"
        "    title: M\n"
        "    limits:\n"
        "      shared_with:\n"
        "        - {credential: m2, max_courses: 1, max_credits: 3}\n"
    )
    report = validate_paths(p)
    assert report.errors[0].code == "E203" and report.errors[0].location is not None
    assert report.errors[0].location.line == 8


# --- E320–E323, W620 competencies -------------------------------------------------------------

FRAMEWORK = """\
frameworks:
  - id: local
    levels: {min: 1, max: 5}
    competencies:
      - {uri: "https://example.edu/lo/sql", statement: Query databases with SQL., code: LO1}
      - {uri: "https://example.edu/lo/py", statement: Write Python programs., code: LO2}
  - id: plain
    competencies:
      - {uri: "https://example.edu/lo/team", statement: Work in a team.}
taxonomy:
  types:
    badge: {require_competencies: true}
"""


def test_e320_framework_file_missing_or_malformed(check: Checker) -> None:
    report = check(
        {
            "catalog.yaml": "frameworks:\n  - {id: x, source: nowhere.json}\n  - {id: y, source: bad.json}\n",
            "bad.json": '{"CFItems": [\n  {"uri": "u",,}\n]}',
        }
    )
    found = sorted((d.location.line, d.location.column, d.message) for d in report.diagnostics if d.code == "E320")  # type: ignore[union-attr]
    assert [(line, col) for line, col, _m in found] == [(2, 21), (3, 21)]
    assert "no such file" in found[0][2]
    assert "bad.json:2:" in found[1][2] and "not valid JSON" in found[1][2]


def test_e321_unknown_competency_with_the_code_suggested(check: Checker) -> None:
    report = check(
        FRAMEWORK
        + "courses:\n  - {id: CSCI 1410, title: F, credits: 3, competencies: ['local:LO3', 'https://nowhere/x']}\n"
    )
    found = [d for d in report.diagnostics if d.code == "E321"]
    assert [(d.location.line, d.location.column) for d in found] == [(14, 58), (14, 71)]  # type: ignore[union-attr]
    assert "framework 'local' has no competency coded 'LO3'" in found[0].message
    assert [d.code for d in report.diagnostics if d.code != "E321"] == []


def test_e322_level_outside_the_framework_or_on_one_without_levels(check: Checker) -> None:
    report = check(
        FRAMEWORK
        + "courses:\n  - id: CSCI 1410\n    title: F\n    credits: 3\n    competencies:\n"
        + "      - {uri: 'local:LO1', level: 6}\n      - {uri: 'https://example.edu/lo/team', level: 2}\n"
        + "      - {uri: 'local:LO2', level: 5}\n"
    )
    found = [d for d in report.diagnostics if d.code == "E322"]
    assert [d.location.line for d in found] == [18, 19]  # type: ignore[union-attr]
    assert "outside framework 'local''s levels 1–5" in found[0].message
    assert "defines no levels" in found[1].message
    assert len(report.diagnostics) == 2


def test_e323_credential_without_alignment_where_the_type_requires_one(check: Checker) -> None:
    report = check(
        FRAMEWORK
        + "courses:\n  - {id: CSCI 1410, title: F, credits: 3, competencies: ['local:LO1']}\n"
        + "  - {id: CSCI 2312, title: G, credits: 3}\n"
        + "credentials:\n"
        + "  - {id: inherits, type: badge, title: I, requires: {course: CSCI 1410}}\n"
        + "  - {id: own, type: badge, title: O, competencies: ['local:LO2'], requires: {course: CSCI 2312}}\n"
        + "  - {id: either, type: badge, title: E, requires: {any: [{course: CSCI 1410}, {course: CSCI 2312}]}}\n"
    )
    assert [(d.code, d.location.line) for d in report.diagnostics] == [("E323", 19)]  # type: ignore[union-attr]
    assert "'either' aligns with no competency" in report.diagnostics[0].message


def test_w620_two_frameworks_define_one_uri_differently(check: Checker) -> None:
    other = (
        "frameworks:\n  - id: other\n    competencies:\n"
        "      - {uri: 'https://example.edu/lo/sql', statement: Use SQL.}\n"
        "      - {uri: 'https://example.edu/lo/team', statement: Work in a team.}\n"
    )
    report = check({"a.yaml": FRAMEWORK, "b.yaml": other})
    found = [(d.code, d.location.file.endswith("b.yaml"), d.location.line) for d in report.diagnostics]  # type: ignore[union-attr]
    assert found == [("W620", True, 2)], found  # the same statement of /team is no disagreement
    assert "statement 'Use SQL.' against 'Query databases with SQL.'" in report.diagnostics[0].message
    assert report.valid


def test_e406_competency_node_nothing_aligns_with(check: Checker) -> None:
    report = check(
        FRAMEWORK
        + "courses:\n  - {id: CSCI 1410, title: F, credits: 3, competencies: [{uri: 'local:LO1', level: 2}]}\n"
        + "credentials:\n"
        + "  - {id: ok, type: badge, title: O, requires: {competency: 'local:LO1', level: 2}}\n"
        + "  - {id: high, type: badge, title: H, requires: {competency: 'local:LO1', level: 3}}\n"
        + "  - {id: none, type: badge, title: N, requires: {competency: 'https://example.edu/lo/team'}}\n"
    )
    found = [(d.code, d.location.line, d.location.column) for d in report.diagnostics]  # type: ignore[union-attr]
    assert found == [("E406", 17, 62), ("E406", 18, 62)], found
    assert "at level 3 or above" in report.diagnostics[0].message


# --- E310 / E311 / E312 / W610 recognition rules ------------------------------------------------


def test_recognition_rules_are_checked(check: Checker) -> None:
    report = check(
        BASE + "  - {id: capped, type: certificate, title: C, limits: {recognised_credits: 25%},"
        " requires: {course: CSCI 1410}}\n"
        "recognition:\n"
        "  - {id: r1, match: {issuer: 'did:web:x.example', achievement: a}, grants: {credential: nope}}\n"
        "  - {id: r2, match: {issuer: 'did:web:x.example', achievement: a}, grants: {course: CSCI 1410}}\n"
        "  - {id: r3, match: {ctid: ce-1}, grants: {course: CSCI 1410}, valid_from: 2026-01-01,"
        " valid_until: 2026-01-01}\n"
    )
    codes = sorted(d.code for d in report.diagnostics)
    assert codes == ["E310", "E311", "E312", "W610"], [str(d) for d in report.diagnostics]
    _f, _l, _c, msg = check.one(report, "E310")
    assert "'nope'" in msg and "r1" in msg
    _f, _l, _c, msg = check.one(report, "W610")
    assert "'r1' (the first) applies" in msg
