"""Static checks of rules: references, counts that cannot be met, logic that cannot hold,
redundant branches and credentials no learner can reach."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from microcred.io.modelerrors import suggest
from microcred.model.catalog import Catalog, Credential
from microcred.model.diagnostics import Diagnostic
from microcred.rules import logic, skeleton
from microcred.rules.kinds import KINDS
from microcred.rules.kinds.base import Checking, Place
from microcred.rules.nodes import RuleBase, RulePath, walk
from microcred.rules.selectors import CourseIndex
from microcred.rules.skeleton import NEVER, Node, Reader, contested


def _rules(catalog: Catalog) -> Iterator[tuple[str, Credential, RuleBase]]:
    for cid, cred in catalog.credentials.items():
        if cred.requires is not None:
            yield cid, cred, cred.requires


def check_references(catalog: Catalog) -> Iterator[Diagnostic]:
    """E301/E302/E303: courses, credentials and types a rule names that do not exist."""
    courses, creds, src = catalog.courses, catalog.credentials, catalog.sources
    broken = catalog.broken_ids

    def course_ref(ref: str, cid: str, path: RulePath, what: str) -> Diagnostic | None:
        if ref in courses or ref in broken:
            return None
        return Diagnostic(
            "E301",
            f"{what} '{ref}' is not in the catalogue{suggest(ref, courses)}; add it under `courses:` or fix the id",
            src.credential(cid, path),
        )

    for cid, _cred, rule in _rules(catalog):
        for path, node, _anc in walk(rule, ("requires",)):
            found: list[Diagnostic | None] = []
            course, credential = node.named_course, node.named_credential
            if course is not None:
                found.append(course_ref(course, cid, (*path, node.kind), "course"))
            elif credential is not None and credential not in creds and credential not in broken:
                found.append(
                    Diagnostic(
                        "E302",
                        f"credential '{credential}' is not in the catalogue"
                        f"{suggest(credential, creds)}; add it under `credentials:` or fix the id",
                        src.credential(cid, (*path, node.kind)),
                    )
                )
            for skey, sel, _counted in node.selectors():
                for key in ("ids", "exclude"):
                    for i, ref in enumerate(getattr(sel, key) or ()):
                        found.append(course_ref(ref, cid, (*path, skey, key, i), "course"))
            f = node.admits
            if f is not None:
                fkey = next((k for k, sel, _c in node.selectors() if getattr(sel, "credentials", None) is f), "from")
                fpath = (*path, fkey, "credentials")
                for i, ref in enumerate(f.ids or ()):
                    if ref not in creds and ref not in broken:
                        found.append(
                            Diagnostic(
                                "E302",
                                f"credential '{ref}' is not in the catalogue{suggest(ref, creds)}",
                                src.credential(cid, (*fpath, "ids", i)),
                            )
                        )
                if f.type is not None and f.type not in catalog.types:
                    found.append(
                        Diagnostic(
                            "E303",
                            f"credential type '{f.type}' is not in the taxonomy{suggest(f.type, catalog.types)}",
                            src.credential(cid, (*fpath, "type")),
                        )
                    )
            yield from (d for d in found if d is not None)


def check_limits(catalog: Catalog) -> Iterator[Diagnostic]:
    """E302: a sharing limit that names a credential the catalogue lacks (or the credential itself)."""
    creds = catalog.credentials
    for cid, cred in creds.items():
        if cred.limits is None:
            continue
        for i, lim in enumerate(cred.limits.shared_with):
            if lim.credential == cid or (lim.credential not in creds and lim.credential not in catalog.broken_ids):
                what = "is this credential itself" if lim.credential == cid else "is not in the catalogue"
                yield Diagnostic(
                    "E302",
                    f"sharing limit names '{lim.credential}', which {what}{suggest(lim.credential, creds)}",
                    catalog.sources.credential(cid, ("limits", "shared_with", i, "credential")),
                )


def check_node_ids(catalog: Catalog) -> Iterator[Diagnostic]:
    """E205: two nodes of one credential's rule with the same ``id``."""
    for cid, _cred, rule in _rules(catalog):
        seen: dict[str, RulePath] = {}
        for path, node, _anc in walk(rule, ("requires",)):
            if node.id is None:
                continue
            if node.id in seen:
                first = catalog.sources.credential(cid, (*seen[node.id], "id"))
                yield Diagnostic(
                    "E205",
                    f"node id '{node.id}' is used twice in credential '{cid}' (first at {first}); "
                    "node ids name requirements for exceptions and must be unique within a credential",
                    catalog.sources.credential(cid, (*path, "id")),
                )
            else:
                seen[node.id] = path


def check_counts(catalog: Catalog, index: CourseIndex) -> Iterator[Diagnostic]:
    """E401-E405, W601 and W609: demands no catalogue could meet, and selectors that match nothing."""
    ctx = Checking(catalog, index, catalog.sources.credential, catalog.grade_scale.max_points)
    for cid, _cred, rule in _rules(catalog):
        for path, node, _anc in walk(rule, ("requires",)):
            yield from KINDS[node.kind].check(ctx, cid, path, node)


def _second_use(rule: RuleBase, courses: set[str]) -> RulePath:
    """The path of the first leaf that uses again a course an earlier leaf already counts."""
    seen: set[str] = set()
    for path, node, ancestors in walk(rule, ("requires",)):
        course = node.named_course
        if course is not None and course in courses:
            if node.shared or any(a.shared for a in ancestors):
                continue
            if course in seen:
                return path
            seen.add(course)
    return ("requires",)


def check_logic(catalog: Catalog, skip: set[str]) -> Iterator[Diagnostic]:
    """E404, W603 and W604: rules whose skeleton can never hold, and redundant branches."""
    src = catalog.sources
    for cid, cred, rule in _rules(catalog):
        if cid in skip:
            continue
        try:
            sk = Reader().read(rule, owner=cid, min_grade=cred.min_grade)
            holds = logic.encode_holds(sk)
            twice = sorted(contested(sk))
            if twice and not holds.cnf.satisfiable():
                yield Diagnostic(
                    "E404",
                    f"the rule of '{cid}' can never hold: it needs {', '.join(twice)} to count in two "
                    "places at once, and an attempt counts toward one requirement only; "
                    "mark one place `shared: true` or require another course",
                    src.credential(cid, _second_use(rule, set(twice))),
                    subject=cid,
                )
                continue
            for path, child, cover in logic.redundant_branches(sk, ("requires",)):
                label = child.label or child.id or child.kind
                where = src.credential(cid, cover) if cover else None
                by = f" (the branch at line {where.line}, column {where.column} covers it)" if where else ""
                yield Diagnostic(
                    "W603",
                    f"branch '{label}' of '{cid}' is redundant{by}: removing it changes nothing; remove it "
                    "or fix it if it was meant to ask for something else",
                    src.credential(cid, path),
                    subject=cid,
                )
        except skeleton.TooLarge:
            yield Diagnostic(
                "W604",
                f"the rule of '{cid}' has more than {skeleton.MAX_VARIABLES} variables once encoded; "
                "its logic was not analysed",
                src.credential(cid, ("requires",)),
                subject=cid,
            )


class _Inline(Reader):
    """Reads the credentials a rule names in their place: each one's rule, or a skeleton that
    never holds when it cannot be earned from a transcript."""

    def __init__(self, catalog: Catalog, earnable: Callable[[str, frozenset[str]], bool], stack: frozenset[str]):
        super().__init__()
        self.catalog = catalog
        self.earnable = earnable
        self.stack = stack

    def reference(self, rule: RuleBase, credential: str, at: Place, depth: int) -> Node:
        other = self.catalog.credentials.get(credential)
        if other is None or other.requires is None or not self.earnable(credential, self.stack):
            return NEVER
        return self.below(other.requires, None, at.shared, None, at.owner, depth + 1)


def check_reachable(catalog: Catalog, skip: set[str]) -> Iterator[Diagnostic]:
    """W602: credentials that can never be earned from a transcript, only held by award."""
    # Whether a credential can be earned depends on the credentials on the stack only when its
    # reading cuts a cycle there: a result reached without cutting one is kept for every stack
    # (unless Python's recursion limit, which depends on the stack's depth, decided it).
    memo: dict[str, bool] = {}
    cuts = 0

    def earnable(cid: str, stack: frozenset[str]) -> bool:
        nonlocal cuts
        if cid in memo:
            return memo[cid]
        cred = catalog.credentials.get(cid)
        if cred is None or cred.requires is None:
            return False
        if cid in stack:
            cuts += 1
            return False
        before, settled = cuts, True
        try:
            result = logic.rule_can_hold(cred.requires, _Inline(catalog, earnable, stack | {cid}))
        except skeleton.TooLarge:
            result = True
        except RecursionError:
            result, settled = True, False
        if not stack or (settled and cuts == before):
            memo[cid] = result
        return result

    for cid, cred, _rule in _rules(catalog):
        if cid in skip:
            continue
        refs = (
            {n.named_credential for _p, n, _a in walk(cred.requires) if n.named_credential is not None}
            if cred.requires
            else set()
        )
        if not refs or not refs <= catalog.credentials.keys():
            continue  # a dangling reference is reported as E302 already
        if not earnable(cid, frozenset()):
            blockers = sorted(
                r
                for r in refs
                if r in catalog.credentials
                and not (catalog.credentials[r].requires is not None and earnable(r, frozenset()))
            )
            why = (
                f"it needs {', '.join(blockers)}, which cannot be earned from courses"
                if blockers
                else "the credentials it includes need the same courses as the rest of it"
            )
            yield Diagnostic(
                "W602",
                f"no learner can earn '{cid}' from a transcript: {why}; only learners awarded those "
                "credentials from outside can reach it",
                catalog.sources.credential(cid, ("requires",)),
            )


#: Largest number of courses a credential may draw on for the "best possible learner" check.
PERFECT_LIMIT = 400


def check_best_learner(catalog: Catalog, skip: set[str]) -> Iterator[Diagnostic]:
    """E404: rules that even the best possible learner cannot meet.

    The learner takes every course the credential can use, with the top grade, on one day,
    and holds every credential it names; the evaluator's exact assignment then decides
    whether the rule can hold. This catches what counting each selector alone cannot: a
    `courses` or `credits` node that needs the same courses as a `course` node beside it.
    Credentials drawing on more than :data:`PERFECT_LIMIT` courses, or with a GPA over every
    course, are left to the other checks.
    """
    import datetime as dt

    from microcred.io.transcript import Awarded
    from microcred.rules.compiled import CompiledCatalog
    from microcred.rules.cpsat import solve_cpsat
    from microcred.rules.scenario import Item, Scenario
    from microcred.rules.solver import solve

    candidates = [cid for cid, cred in catalog.credentials.items() if cred.requires is not None and cid not in skip]
    if not candidates:
        return
    compiled = CompiledCatalog(catalog)
    scale = catalog.grade_scale
    top = max(scale.grades.values(), key=lambda g: (g.passing, g.points if g.points is not None else -1.0))
    if not top.passing:
        return
    day = dt.date(2000, 1, 1)
    for cid in candidates:
        comp = compiled.credentials[cid]
        if comp.root is None or comp.relevant_courses is None or len(comp.relevant_courses) > PERFECT_LIMIT:
            continue
        if any(c not in catalog.courses for c in comp.relevant_courses):
            continue  # a dangling reference, reported already
        items: dict[str, Item] = {}
        graded: dict[str, tuple[float, float]] = {}
        for course in comp.relevant_courses:
            credits = catalog.courses[course].credits
            items[course] = Item(
                key=course,
                course=course,
                date=day,
                grade=top.name,
                points=top.points,
                passing=True,
                credits=credits,
                status="completed",
                virtual=top.points is None,
            )
            if top.points is not None:
                graded[course] = (top.points, credits)
        awards = {c: Awarded(credential=c, date=day) for c in comp.relevant_credentials}
        for c in comp.relevant_credentials:
            value = catalog.credentials[c].credits if c in catalog.credentials else None
            if value:
                items["credential:" + c] = Item(
                    key="credential:" + c,
                    course=c,
                    date=day,
                    grade=None,
                    points=None,
                    passing=True,
                    credits=value,
                    status="awarded",
                )
        # GPA floors are checked on their own (E405, W601); here every GPA is the top one
        sc = Scenario(day, "completed", items, awards, graded, fixed_gpa=scale.max_points)
        sol = solve(comp, sc, satisfy_only=True, cpsat=solve_cpsat)
        if not sol.satisfied:
            yield Diagnostic(
                "E404",
                f"the rule of '{cid}' can never hold: even a learner who took every course it can use, "
                "with the top grade, cannot meet it, because an attempt counts toward one requirement "
                "only; widen a selector, mark a requirement `shared: true`, or lower a count",
                catalog.sources.credential(cid, ("requires",)),
                subject=cid,
            )
