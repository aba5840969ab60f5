"""Hypothesis strategies: small random catalogues and transcripts for the exactness tests.

Everything is drawn as plain data (the dicts a YAML file would hold), then turned into the
library's models, so a failing case can be printed as the YAML a user would write.

The generator keeps to what CONTRACT.md decides. It stays away from a few corners where the
contract is silent, so that a mismatch always means a real disagreement with the contract:

* ``gpa`` nodes never have a ``min_grade`` or ``complete_within`` in force (does a minimum
  grade filter a GPA? does a window bound the GPA's attempts?);
* a ``credits`` node admitting credentials has no ``min_grade``/``complete_within`` in force,
  there is at most one per credential, a credential holding one is referenced by no other,
  and what it admits is not also named by a ``credential:`` node of the same rule (are
  awards exclusive within a credential?);
* a credential that other credentials build on has no ``valid_for`` (is a component earned
  inline subject to its own expiry?); awards of it may expire (§6: an award counts at a date
  when not expired on that date);
* a course is never attempted twice on one day (which is "latest"?), and has at most one
  in-progress attempt, which may retake a completed one (§6: it replaces that attempt in the
  in-progress scenario, GPAs included); under ``repeats: best`` a course never has both an F
  and a W (is 0 points "more" than none?);
* a ``credits`` node may admit credentials only (``from: {credentials: ...}``, §6: no course
  counts there);
* awards are dated on or before ``as_of``; at most one award a credential;
* attempts never override the catalogue's credits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import strategies as st

from microcred.io.transcript import Transcript
from microcred.model.catalog import Catalog, CatalogInfo, Course, Credential
from microcred.model.competencies import Competency, Framework
from microcred.rules.nodes import Selector
from microcred.rules.selectors import course_matches
from microcred.taxonomy.models import Taxonomy

AS_OF = dt.date(2026, 1, 1)

#: A few fixed dates, with the calendar's edges: 29 February, a window of exactly one year
#: from it (2021-02-28) and one day past it (2021-03-01), and an expiry falling on as_of.
DATES: tuple[dt.date, ...] = (
    dt.date(2020, 2, 29),
    dt.date(2020, 9, 1),
    dt.date(2021, 2, 28),
    dt.date(2021, 3, 1),
    dt.date(2022, 6, 15),
    dt.date(2023, 3, 1),
    dt.date(2024, 2, 29),
    dt.date(2025, 1, 1),
    dt.date(2025, 6, 30),
)

GRADES: tuple[str, ...] = ("A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D", "D-", "F", "P", "TR", "W")
FAILING_NO_POINTS = frozenset({"W", "I", "NC", "U", "AU"})
TYPES: tuple[str, ...] = ("badge", "microcredential", "certificate")
TAXONOMY: dict[str, Any] = {
    "types": {
        "badge": {"stacks_into": ["microcredential", "certificate"]},
        "microcredential": {"stacks_into": ["certificate"]},
        "certificate": {},
    }
}
SPANS: tuple[dict[str, int], ...] = ({"years": 1}, {"years": 2}, {"months": 18})
VALIDITY: tuple[dict[str, int], ...] = ({"years": 1}, {"years": 2}, {"months": 7})
MIN_GRADES: tuple[str, ...] = ("D", "C", "B", "A-")
GPAS: tuple[float, ...] = (2.0, 2.5, 3.0, 3.3)


# --------------------------------------------------------------------------- catalogues


def rarely(draw: st.DrawFn, n: int) -> bool:
    """True one time in n + 1; shrinks to False, so a minimal example drops the extra."""
    return bool(draw(st.integers(0, n)) == n)


@st.composite
def course_specs(draw: st.DrawFn, max_courses: int = 7) -> list[dict[str, Any]]:
    n = draw(st.integers(3, max_courses))
    subjects = draw(st.sampled_from([["CSCI"], ["CSCI", "MATH"]]))
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for i in range(n):
        subject = draw(st.sampled_from(subjects))
        level = draw(st.sampled_from([1000, 2000, 3000, 4000]))
        cid = f"{subject} {level + 10 * (i + 1)}"
        if cid in used:  # pragma: no cover - i makes ids distinct
            continue
        used.add(cid)
        course: dict[str, Any] = {"id": cid, "title": f"Course {i + 1}", "credits": draw(st.integers(1, 4))}
        if draw(st.booleans()):
            course["attributes"] = ["quant"]
        out.append(course)
    return out


@dataclass(frozen=True)
class Profile:
    """How often things happen: a modifier is added ``1 / (odds + 1)`` of the time."""

    min_grade_odds: int = 6
    window_odds: int = 6
    shared_odds: int = 8
    credential_weight: int = 2
    max_courses: int = 7
    passing_bias: bool = False
    award_odds: int = 4  # a transcript holds awards 1 / (odds + 1) of the time
    lasting_awards: bool = False  # awards of credentials other rules name: never expire, late, likely
    gpa_weight: int = 1  # how often a plain node is a GPA floor
    retake_odds: int = 0  # when > 0, a completed course is retaken in progress 1 / (odds + 1) of the time
    credits_weight: int = 1  # how often a leaf is a credits node
    min_credentials: int = 1
    admit_odds: int = 3  # a plain credits node admits credentials 1 / (odds + 1) of the time
    credentials_only_odds: int = 2  # such a node admits credentials only 1 / (odds + 1) of the time
    extensions: bool = False  # node ids, caps (`limits`), waivers and substitutions
    competencies: bool = False  # a framework, alignments, and `competency:` nodes in place of some `course:` leaves


PLAIN = Profile()
#: Fewer courses, more modifiers, more stacking, mostly passing grades: more contention.
DENSE = Profile(min_grade_odds=3, window_odds=3, shared_odds=6, credential_weight=4, max_courses=5, passing_bias=True)
#: Stacking on awarded credentials: every transcript holds awards, mostly of credentials other
#: rules name, late and lasting, so the earliest date can hang on an award, not an attempt.
AWARDS = Profile(credential_weight=4, max_courses=5, passing_bias=True, award_odds=0, lasting_awards=True)
#: In-progress retakes of completed courses beside GPA floors, and credits from credentials
#: only: the readings of CONTRACT.md §6.
RETAKES = Profile(
    max_courses=5,
    award_odds=1,
    gpa_weight=4,
    retake_odds=2,
    credits_weight=4,
    admit_odds=0,
    credentials_only_odds=1,
    min_credentials=2,
)
#: The extensions: caps on prior learning and on courses shared with another credential, and
#: advisors' waivers (of nodes with an ``id``) and substitutions.
EXTENSIONS = Profile(credential_weight=1, max_courses=5, passing_bias=True, award_odds=1, extensions=True)
#: Competency nodes (docs/rules.md): courses and credentials aligned with a few competencies,
#: some `course:` leaves replaced by `competency:` nodes. No GPA floors, admitted credentials
#: or validity periods: a competency node may reach any credential, so the corners kept away
#: from referenced credentials are kept away from all.
COMPETENCIES = Profile(credential_weight=2, max_courses=5, passing_bias=True, gpa_weight=0, competencies=True)


class RuleGen:
    """Draws one credential's rule, keeping to the corners the contract decides."""

    def __init__(
        self,
        draw: st.DrawFn,
        courses: list[dict[str, Any]],
        earlier: list[dict[str, Any]],
        info: dict[str, Any],
        profile: Profile = PLAIN,
    ):
        self.draw = draw
        self.profile = profile
        self.courses = courses
        self.models = {c["id"]: Course.model_validate(c) for c in courses}
        self.earlier = earlier  # credentials this one may stack on (lower type)
        self.info = info  # per earlier credential: has_gpa, admits
        self.has_gpa = False
        self.admits = 0
        self.refs: list[str] = []
        self.used: set[str] = set()  # courses of `course:` nodes so far (twice is mostly E404)

    def selector(self) -> tuple[dict[str, Any], list[str]]:
        d = self.draw
        ids = [c["id"] for c in self.courses]
        while True:
            kind = d(st.sampled_from(["ids", "ids", "subject", "level", "attribute", "all"]))
            sel: dict[str, Any]
            if kind == "ids":
                sel = {"ids": d(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))}
            elif kind == "subject":
                sel = {"subject": d(st.sampled_from(sorted({c.split()[0] for c in ids})))}
            elif kind == "level":
                sel = {"level": d(st.sampled_from([1000, 2000, "2000+", ">=3000"]))}
            elif kind == "attribute":
                sel = {"attribute": "quant"}
            else:
                sel = {}
            if kind != "ids" and rarely(d, 4):
                sel["exclude"] = [d(st.sampled_from(ids))]
            model = Selector.model_validate(sel)
            matched = [c for c in ids if course_matches(self.models[c], model)]
            if matched:
                return sel, matched

    def modifiers(self, node: dict[str, Any], min_ok: bool, cw_ok: bool) -> tuple[bool, bool]:
        """Maybe add modifiers to ``node``; returns (min_grade in force, window in force) added."""
        d = self.draw
        added_min = added_cw = False
        if min_ok and rarely(d, self.profile.min_grade_odds):
            node["min_grade"] = d(st.sampled_from(MIN_GRADES))
            added_min = True
        if cw_ok and rarely(d, self.profile.window_odds):
            node["complete_within"] = dict(d(st.sampled_from(SPANS)))
            added_cw = True
        if rarely(d, self.profile.shared_odds):
            node["shared"] = True
        return added_min, added_cw

    def rule(self, depth: int, min_in_force: bool, cw_in_force: bool) -> dict[str, Any]:
        d = self.draw
        plain = not (min_in_force or cw_in_force)
        kinds = ["course", "course", "courses", "courses"] + ["credits"] * self.profile.credits_weight
        if depth < 3:
            kinds += ["all", "all", "any", "at_least"]
        refs = [e["id"] for e in self.earlier if not self.info[e["id"]]["admits"] and e["id"] not in self.refs]
        if not plain:
            refs = [c for c in refs if not self.info[c]["has_gpa"]]
        if refs:
            kinds += ["credential"] * self.profile.credential_weight
        if plain:
            kinds += ["gpa"] * self.profile.gpa_weight
        if depth == 1 and d(st.integers(0, 3)) > 0:
            kind = d(st.sampled_from(["all", "all", "any", "at_least"]))  # mostly a composite root
        else:
            kind = d(st.sampled_from(kinds))
        node: dict[str, Any]
        if kind == "course":
            fresh = [c["id"] for c in self.courses if c["id"] not in self.used]
            node = {"course": d(st.sampled_from(fresh or [c["id"] for c in self.courses]))}
            self.used.add(node["course"])
        elif kind == "courses":
            sel, matched = self.selector()
            node = {"courses": d(st.integers(1, min(3, len(matched)))), "from": sel}
        elif kind == "credits":
            sel, matched = self.selector()
            supply = sum(self.models[c].credits for c in matched)
            node = {"credits": d(st.integers(1, int(supply))), "from": sel}
            if plain and self.admits == 0 and self.earlier and rarely(d, self.profile.admit_odds):
                admitted = d(
                    st.lists(st.sampled_from([e["id"] for e in self.earlier]), min_size=1, max_size=2, unique=True)
                )
                node["from"] = {**sel, "credentials": {"ids": admitted}}
                self.admits += 1
                if rarely(d, self.profile.credentials_only_odds):  # credentials only: no course counts (§6)
                    lower = sorted({e["type"] for e in self.earlier}, key=TYPES.index)
                    creds = {"type": d(st.sampled_from(lower))} if d(st.booleans()) else {"ids": admitted}
                    node["from"] = {"credentials": creds}
                    named = [
                        e for e in self.earlier if e["id"] in creds.get("ids", ()) or e["type"] == creds.get("type")
                    ]
                    # now and then more than they can ever give (validate warns, W609)
                    node["credits"] = d(st.integers(1, sum(e["credits"] for e in named) + 1))
                return node  # no modifiers on it: nothing may be in force below
        elif kind == "gpa":
            node = {"gpa": d(st.sampled_from(GPAS))}
            if d(st.booleans()):
                node["over"] = self.selector()[0]
            self.has_gpa = True
            if rarely(d, 8):
                node["shared"] = True
            return node
        elif kind == "credential":
            ref = d(st.sampled_from(refs))
            self.refs.append(ref)
            node = {"credential": ref}
            if self.info[ref]["has_gpa"]:
                self.has_gpa = True
                if rarely(d, 8):
                    node["shared"] = True
                return node  # a GPA below: no min_grade or window in force
        else:
            n = d(st.sampled_from([1, 2, 2, 3, 3, 3]))
            node = {}
            added_min, added_cw = self.modifiers(node, True, True)
            kids = [self.rule(depth + 1, min_in_force or added_min, cw_in_force or added_cw) for _ in range(n)]
            if kind == "at_least":
                node = {"at_least": d(st.integers(1, n)), "of": kids, **node}
            else:
                node = {kind: kids, **node}
            return node
        self.modifiers(node, True, True)
        return node


@st.composite
def catalog_specs(draw: st.DrawFn, profile: Profile = PLAIN) -> dict[str, Any]:
    courses = draw(course_specs(profile.max_courses))
    repeats = draw(st.sampled_from(["best", "latest"]))
    n = draw(st.integers(profile.min_credentials, 3))
    if rarely(draw, 4):  # now and then two of a type, which cannot stack on each other
        types = sorted(draw(st.lists(st.sampled_from(TYPES), min_size=n, max_size=n)), key=TYPES.index)
    else:
        types = sorted(draw(st.lists(st.sampled_from(TYPES), min_size=n, max_size=n, unique=True)), key=TYPES.index)
    creds: list[dict[str, Any]] = []
    info: dict[str, dict[str, Any]] = {}
    for i, ctype in enumerate(types):
        cid = f"c{i}"
        cred: dict[str, Any] = {
            "id": cid,
            "type": ctype,
            "title": f"Credential {i}",
            "credits": draw(st.integers(1, 6)),
        }
        earlier = [e for e in creds if TYPES.index(e["type"]) < TYPES.index(ctype)]
        min_grade = draw(st.sampled_from([None, None, None, "C", "B"]))
        if min_grade:
            cred["min_grade"] = min_grade
        gen = RuleGen(draw, courses, earlier, info, profile)
        if draw(st.integers(0, 19)) > 0:
            cred["requires"] = gen.rule(1, min_grade is not None, False)
        info[cid] = {"has_gpa": gen.has_gpa, "admits": gen.admits > 0, "refs": list(gen.refs)}
        creds.append(cred)

    # what each credential's rule names through credential: nodes, transitively
    def names(cid: str) -> set[str]:
        out: set[str] = set()
        for r in info[cid]["refs"]:
            out |= {r} | names(r)
        return out

    for cred in creds:
        admitted = _admitted(cred.get("requires"), creds)
        if admitted & names(cred["id"]):
            _drop_admits(cred.get("requires"))
    referenced = set()
    for cred in creds:
        referenced |= names(cred["id"]) | _admitted(cred.get("requires"), creds)
    for cred in creds:
        if cred["id"] not in referenced and rarely(draw, 3):
            cred["valid_for"] = dict(draw(st.sampled_from(VALIDITY)))
    if profile.extensions:
        _extend_catalog(draw, creds, referenced)
    return {
        "catalog": {"id": "gen", "name": "Generated", "repeats": repeats},
        "taxonomy": TAXONOMY,
        "courses": courses,
        "credentials": creds,
        "_referenced": sorted(referenced),
    }


def _admitted(rule: Any, creds: list[dict[str, Any]]) -> set[str]:
    if isinstance(rule, dict):
        out: set[str] = set()
        if isinstance(rule.get("from"), dict) and "credentials" in rule["from"]:
            f = rule["from"]["credentials"]
            out |= set(f.get("ids", ())) | {c["id"] for c in creds if c["type"] == f.get("type")}
        for key in ("all", "any", "of"):
            for kid in rule.get(key, []):
                out |= _admitted(kid, creds)
        return out
    return set()


def _drop_admits(rule: Any) -> None:
    if isinstance(rule, dict):
        if isinstance(rule.get("from"), dict):
            rule["from"].pop("credentials", None)
        for key in ("all", "any", "of"):
            for kid in rule.get(key, []):
                _drop_admits(kid)


def build_catalog(spec: dict[str, Any]) -> Catalog:
    """The catalogue a spec describes, built from the library's own models."""
    frameworks = {f["id"]: Framework.model_validate(f) for f in spec.get("frameworks", [])}
    return Catalog(
        info=CatalogInfo.model_validate(spec["catalog"]),
        taxonomy=Taxonomy.model_validate(spec["taxonomy"]),
        courses={c["id"]: Course.model_validate(c) for c in spec["courses"]},
        credentials={c["id"]: Credential.model_validate(c) for c in spec["credentials"]},
        frameworks=frameworks,
        competencies={c.uri: Competency(c.uri, c.statement, f.id) for f in frameworks.values() for c in f.competencies},
        competency_codes={(f.id, c.code): c.uri for f in frameworks.values() for c in f.competencies if c.code},
    )


COMPETENCY_URIS = ("u:a", "u:b", "u:c")


def _alignment(draw: st.DrawFn) -> Any:
    uri = draw(st.sampled_from(COMPETENCY_URIS))
    level = draw(st.sampled_from([None, 1, 2, 3]))
    return uri if level is None else {"uri": uri, "level": level}


def _add_competencies(draw: st.DrawFn, spec: dict[str, Any]) -> None:
    """A framework; alignments on courses and now and then on a credential; some ``course:``
    leaves become ``competency:`` nodes (keeping their modifiers); no GPA floors, admitted
    credentials or validity periods anywhere (see :data:`COMPETENCIES`)."""
    spec["frameworks"] = [
        {
            "id": "f",
            "levels": {"min": 1, "max": 3},
            "competencies": [{"uri": u, "statement": f"Competency {u}"} for u in COMPETENCY_URIS],
        }
    ]
    for course in spec["courses"]:
        course["competencies"] = [_alignment(draw) for _ in range(draw(st.integers(0, 2)))]
    replaced = 0

    def swap(rule: Any) -> None:
        nonlocal replaced
        if not isinstance(rule, dict):
            return
        for key in ("all", "any", "of"):
            kids = rule.get(key, [])
            for i, kid in enumerate(kids):
                if isinstance(kid, dict) and "course" in kid and draw(st.booleans()):
                    node = {k: v for k, v in kid.items() if k != "course"}
                    node["competency"] = draw(st.sampled_from(COMPETENCY_URIS))
                    level = draw(st.sampled_from([None, 1, 2]))
                    if level is not None:
                        node["level"] = level
                    kids[i] = node
                    replaced += 1
                else:
                    swap(kid)

    for cred in spec["credentials"]:
        cred.pop("valid_for", None)
        _drop_admits(cred.get("requires"))
        if rarely(draw, 3):
            cred["competencies"] = [_alignment(draw)]
        rule = cred.get("requires")
        if isinstance(rule, dict) and "course" in rule and draw(st.booleans()):
            node = {k: v for k, v in rule.items() if k != "course"}
            node["competency"] = draw(st.sampled_from(COMPETENCY_URIS))
            cred["requires"] = node
            replaced += 1
        else:
            swap(rule)


def catalogs(profile: Profile = PLAIN) -> st.SearchStrategy[Catalog]:
    """Small random catalogues (check ``validate_catalog(c).valid`` before use)."""
    return catalog_specs(profile).map(build_catalog)


# --------------------------------------------------------------------------- transcripts


@st.composite
def transcript_specs(draw: st.DrawFn, spec: dict[str, Any], profile: Profile = PLAIN) -> dict[str, Any]:
    course_ids = [c["id"] for c in spec["courses"]]
    best = spec["catalog"]["repeats"] == "best"
    named = sorted(_named_courses(spec)) or course_ids
    favourites = draw(st.lists(st.sampled_from(named), min_size=1, max_size=4, unique=True))
    raw: list[dict[str, Any]] = []
    counts = [0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8]
    if profile.passing_bias:
        counts = [c for c in counts if c >= 3]
    for _ in range(draw(st.sampled_from(counts))):
        pool = favourites if draw(st.integers(0, 3)) > 0 else course_ids
        course = draw(st.sampled_from(pool))
        status = draw(st.sampled_from(["completed"] * 5 + ["transfer", "in_progress"]))
        if status == "in_progress":
            raw.append({"course": course, "status": "in_progress"})
            continue
        grade = draw(st.sampled_from(GRADES))
        if profile.passing_bias and grade in ("F", "W") and draw(st.booleans()):
            grade = draw(st.sampled_from(["A", "B", "C", "P"]))
        if status == "transfer" and draw(st.booleans()):
            grade = "TR"
        att: dict[str, Any] = {"course": course, "date": draw(st.sampled_from(DATES)).isoformat(), "grade": grade}
        if status == "transfer":
            att["status"] = "transfer"
        raw.append(att)
    # repairs that keep away from what the contract leaves open
    attempts: list[dict[str, Any]] = []
    seen_days: set[tuple[str, str]] = set()
    for a in raw:
        if "date" in a:
            key = (a["course"], a["date"])
            if key in seen_days:
                continue
            seen_days.add(key)
        attempts.append(a)
    for course in course_ids:
        mine = [a for a in attempts if a["course"] == course]
        grades = {a["grade"] for a in mine if "grade" in a}
        if best and "F" in grades and grades & FAILING_NO_POINTS:
            attempts = [a for a in attempts if not (a["course"] == course and a.get("grade") in FAILING_NO_POINTS)]
            grades -= FAILING_NO_POINTS
        pending = [a for a in mine if a.get("status") == "in_progress"]
        if len(pending) > 1:
            attempts = [a for a in attempts if not (a in pending and a is not pending[0])]
        elif not pending and grades and profile.retake_odds and rarely(draw, profile.retake_odds):
            attempts.append({"course": course, "status": "in_progress"})  # a retake (§6)
    out: dict[str, Any] = {"learner": {"id": "L1"}, "as_of": AS_OF.isoformat(), "attempts": attempts}
    awards: list[dict[str, Any]] = []
    cred_ids = [c["id"] for c in spec["credentials"]]
    if rarely(draw, profile.award_odds):
        named = spec["_referenced"] if profile.lasting_awards and spec["_referenced"] else cred_ids
        for cid in draw(st.lists(st.sampled_from(named), min_size=1, max_size=2, unique=True)):
            day = draw(st.sampled_from(DATES[-3:] if profile.lasting_awards else DATES))
            aw: dict[str, Any] = {"credential": cid, "date": day.isoformat()}
            later = [x for x in DATES if x > day]
            if cid in spec["_referenced"] and profile.lasting_awards:
                ends: list[dt.date | None] = [None]
            else:
                ends = [None, *later, dt.date(2027, 1, 1)]
            end = draw(st.sampled_from(ends))
            if end is not None:
                aw["expires_on"] = end.isoformat()
            awards.append(aw)
    if awards:
        out["awarded"] = awards
    return out


def _named_courses(spec: dict[str, Any]) -> set[str]:
    """Courses named by ``course:`` nodes and ``ids`` selectors: the contested ones."""
    out: set[str] = set()

    def walk(rule: Any) -> None:
        if not isinstance(rule, dict):
            return
        if "course" in rule:
            out.add(rule["course"])
        for key in ("from", "over"):
            if isinstance(rule.get(key), dict):
                out.update(rule[key].get("ids", []))
        for key in ("all", "any", "of"):
            for kid in rule.get(key, []):
                walk(kid)

    for cred in spec["credentials"]:
        walk(cred.get("requires"))
    return out


def build_transcript(spec: dict[str, Any]) -> Transcript:
    return Transcript.model_validate(spec)


# --------------------------------------------------------------------------- cases


@dataclass(repr=False)
class Case:
    catalog_spec: dict[str, Any]
    transcript_spec: dict[str, Any]
    catalog: Catalog
    transcript: Transcript
    as_of: dt.date = AS_OF

    def catalog_yaml(self) -> str:
        spec = {k: v for k, v in self.catalog_spec.items() if not k.startswith("_")}
        return yaml.safe_dump(spec, sort_keys=False, default_flow_style=None, width=110)

    def transcript_yaml(self) -> str:
        return yaml.safe_dump(self.transcript_spec, sort_keys=False, default_flow_style=None, width=110)

    def __str__(self) -> str:
        return f"# catalogue\n{self.catalog_yaml()}\n# transcript\n{self.transcript_yaml()}"

    __repr__ = __str__


@st.composite
def cases(draw: st.DrawFn, profile: Profile = PLAIN) -> Case:
    """A small catalogue and one learner's transcript for it."""
    cspec = draw(catalog_specs(profile))
    tspec = draw(transcript_specs(cspec, profile))
    if profile.extensions:
        _add_exceptions(draw, cspec, tspec)
    if profile.competencies:
        _add_competencies(draw, cspec)  # after the transcript: it still takes the courses the leaves named
    return Case(cspec, tspec, build_catalog(cspec), build_transcript(tspec))


# --------------------------------------------------------------------------- extensions
#
# Caps (``limits``), node ids, and the transcript's ``exceptions``. Kept away from what is
# left open: a waiver limited to a credential names one no other rule inlines (is the limit
# the credential being evaluated, or the one whose rule holds the node?); a substitution
# never chains (X for Y, Y for Z), a course stands for one course at most, and the courses a
# substitution merges are repaired like one course (no two attempts on one day, no F beside
# a W under ``repeats: best``, an in-progress attempt only beside failures without points).


def _refs(rule: Any) -> set[str]:
    if not isinstance(rule, dict):
        return set()
    out = {rule["credential"]} if "credential" in rule else set()
    for key in ("all", "any", "of"):
        for kid in rule.get(key, []):
            out |= _refs(kid)
    return out


def _extend_catalog(draw: st.DrawFn, creds: list[dict[str, Any]], referenced: set[str]) -> None:
    by_id = {c["id"]: c for c in creds}

    def inlined(cid: str) -> set[str]:
        out: set[str] = set()
        for r in _refs(by_id[cid].get("requires")):
            out |= {r} | inlined(r)
        return out

    for i, cred in enumerate(creds):
        # more rules that admit awards for credit (as the rule generator allows them): a
        # credits node beside the rule, admitting lasting credentials of lower types
        rule = cred.get("requires")
        admissible = [
            c["id"]
            for c in creds[:i]
            if TYPES.index(c["type"]) < TYPES.index(cred["type"])
            and "valid_for" not in c
            and c["id"] not in inlined(cred["id"])
        ]
        if (
            rule is not None
            and admissible
            and "min_grade" not in cred
            and cred["id"] not in referenced
            and not _admitted(rule, creds)
            and draw(st.integers(0, 3)) > 0
        ):
            admitted = draw(st.lists(st.sampled_from(admissible), min_size=1, max_size=3, unique=True))
            need = draw(st.integers(1, 6))
            cred["requires"] = {
                "all": [rule, {"credits": need, "from": {"level": "1000+", "credentials": {"ids": admitted}}}]
            }
            referenced |= set(admitted)
        n = 0

        def name(rule: Any) -> None:
            nonlocal n
            if not isinstance(rule, dict):
                return
            if draw(st.integers(0, 2)) == 0:
                n += 1
                rule["id"] = f"r{n}"
            for key in ("all", "any", "of"):
                for kid in rule.get(key, []):
                    name(kid)

        name(cred.get("requires"))
        limits: dict[str, Any] = {}
        if _admitted(cred.get("requires"), creds) and draw(st.integers(0, 3)) > 0:
            limits["prior_learning_credits"] = draw(st.integers(0, 8))
        if i > 0 and draw(st.booleans()):
            caps = []
            for other in draw(st.lists(st.sampled_from([c["id"] for c in creds[:i]]), min_size=1, max_size=2)):
                if draw(st.booleans()):
                    caps.append({"credential": other, "max_courses": draw(st.integers(0, 2))})
                else:
                    caps.append({"credential": other, "max_credits": draw(st.integers(0, 6))})
            limits["shared_with"] = caps
        if limits:
            cred["limits"] = limits


def _node_ids(rule: Any) -> set[str]:
    if not isinstance(rule, dict):
        return set()
    out = {rule["id"]} if "id" in rule else set()
    for key in ("all", "any", "of"):
        for kid in rule.get(key, []):
            out |= _node_ids(kid)
    return out


def _add_exceptions(draw: st.DrawFn, cspec: dict[str, Any], tspec: dict[str, Any]) -> None:
    # awards for the caps on prior learning to weigh
    awards = tspec.setdefault("awarded", [])
    for cred in cspec["credentials"]:
        if "prior_learning_credits" in cred.get("limits", {}):
            for cid in sorted(_admitted(cred["requires"], cspec["credentials"])):
                if draw(st.integers(0, 3)) > 0 and all(a["credential"] != cid for a in awards):
                    awards.append({"credential": cid, "date": draw(st.sampled_from(DATES)).isoformat()})
    if not awards:
        del tspec["awarded"]
    exceptions: list[dict[str, Any]] = []
    ids = {c["id"]: _node_ids(c.get("requires")) for c in cspec["credentials"]}
    named = sorted({(i, cid) for cid, got in ids.items() for i in got})
    if named and draw(st.booleans()):
        for node, owner in draw(st.lists(st.sampled_from(named), min_size=1, max_size=2, unique=True)):
            w: dict[str, Any] = {"waive": node, "reason": "advisor"}
            if owner not in cspec["_referenced"] and draw(st.booleans()):
                w["credential"] = owner
            exceptions.append(w)
    course_ids = [c["id"] for c in cspec["courses"]]
    attempts: list[dict[str, Any]] = tspec["attempts"]
    best = cspec["catalog"]["repeats"] == "best"
    family: dict[str, str] = {}  # taken course -> the course it stands for
    for _ in range(draw(st.integers(0, 2))):
        taken = draw(st.sampled_from([*course_ids, "XFER 1000"]))
        target = draw(st.sampled_from(course_ids))
        if taken == target or taken in family or taken in family.values() or target in family:
            continue
        if taken == "XFER 1000":
            attempts.append(
                {
                    "course": taken,
                    "date": draw(st.sampled_from(DATES)).isoformat(),
                    "grade": draw(st.sampled_from(GRADES)),
                }
            )
        merged = [a for a in attempts if a["course"] in (taken, target) or family.get(a["course"]) == target]
        days = [a["date"] for a in merged if "date" in a]
        grades = {a["grade"] for a in merged if "grade" in a}
        pending = [a for a in merged if a.get("status") == "in_progress"]
        if len(days) != len(set(days)) or (best and "F" in grades and grades & FAILING_NO_POINTS):
            if taken == "XFER 1000":
                attempts.pop()
            continue
        if pending and (len(pending) > 1 or not grades <= FAILING_NO_POINTS):
            if taken == "XFER 1000":
                attempts.pop()
            continue
        family[taken] = target
        sub: dict[str, Any] = {"substitute": {"course": taken, "for": target}, "reason": "equivalent"}
        if draw(st.booleans()):
            sub["credential"] = draw(st.sampled_from([c["id"] for c in cspec["credentials"]]))
        exceptions.append(sub)
    if exceptions:
        tspec["exceptions"] = exceptions
