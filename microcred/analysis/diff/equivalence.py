"""Whether two versions of a rule mean the same: both skeletons in one CNF, decided by SAT, minimal counterexamples."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from microcred.analysis.diff.reading import Level, _AtomInfo
from microcred.analysis.diff.results import Counterexample
from microcred.rules.kinds import KINDS
from microcred.rules.skeleton import Encoding, Join, Node, TooLarge, atoms, contested, expansions, occurrences

#: Most expansions of a rule over the choices of contested courses (exclusivity, exact).
MAX_EXPANSIONS = 64
#: Most SAT calls spent making one counterexample minimal.
MAX_MINIMISE_CALLS = 200
#: Most items listed after "but not" in a counterexample.
MAX_LACKS = 8
#: Most items a counterexample lists before it names only the parts of the rule that differ.
MAX_WHOLE = 6


class _Problem(Encoding):
    """Both skeletons in one encoding over shared input variables, with what the inputs imply
    of each other."""

    def __init__(self, atoms: Mapping[Hashable, _AtomInfo]):
        super().__init__()
        self.atoms = atoms
        self.implications: list[tuple[int, int]] = []

    def background(self) -> None:
        """What the inputs imply of each other: a higher grade level implies the lower ones;
        an atom asking at least as much as another implies it."""
        levels: dict[str, list[Level]] = {}
        for key in self.inputs:
            if key[0] == "has":
                levels.setdefault(key[1], []).append(key[2])
        for course, ls in levels.items():
            ordered = sorted(ls, key=lambda x: -1.0 if x is None else x)
            for lo, hi in itertools.pairwise(ordered):
                self._imply(self.has(course, hi), self.has(course, lo))
        keys = [k[1] for k in self.inputs if k[0] == "atom"]
        for a, b in itertools.permutations(keys, 2):
            if _atom_implies(self.atoms[a], self.atoms[b]):
                self._imply(self.atom(a), self.atom(b))

    def _imply(self, a: int, b: int) -> None:
        self.cnf.clauses.append({-a, b})
        self.implications.append((a, b))


def _atom_implies(a: _AtomInfo, b: _AtomInfo) -> bool:
    """Whether meeting atom ``a`` always meets atom ``b`` (atoms of one kind: by the kind)."""
    return a.kind == b.kind and KINDS[a.kind].diff_implies(a, b)


# == comparing one rule ====================================================================


@dataclass
class _Sides:
    old: Node
    new: Node
    #: the parts that differ, when both rules are an ``all`` with children in common: a
    #: counterexample then names only what it has of these (it meets the common children)
    focus_old: Node | None = None
    focus_new: Node | None = None


def _focus(old: Node, new: Node) -> tuple[Node, Node] | None:
    """The differing children of two canonical ``all`` rules with children in common."""
    if not (isinstance(old, Join) and isinstance(new, Join)):
        return None
    if old.op != "and" or new.op != "and" or old.window is not None or new.window is not None:
        return None
    common = Counter(old.children) & Counter(new.children)
    if not common:
        return None
    rest_old, rest_new = Counter(old.children) - common, Counter(new.children) - common
    return (
        Join("and", rest_old.total(), None, tuple(rest_old.elements())),
        Join("and", rest_new.total(), None, tuple(rest_new.elements())),
    )


class _Analysis:
    """The skeleton comparison (a) of one credential's two rules."""

    def __init__(self, sides: _Sides, atoms: Mapping[Hashable, _AtomInfo], grades: Mapping[Level, str]):
        self.sides = sides
        self.atoms = atoms
        self.grades = grades

    def run(self) -> tuple[bool | None, list[Counterexample]]:
        """(equivalent?, counterexamples); equivalent is None when not analysed."""
        try:
            return self._run()
        except TooLarge:
            return None, []

    def _run(self) -> tuple[bool | None, list[Counterexample]]:
        p = _Problem(self.atoms)
        old, new = self.sides.old, self.sides.new
        p.declare(old)
        p.declare(new)
        p.background()
        exact = expansions(contested(old)) <= MAX_EXPANSIONS and expansions(contested(new)) <= MAX_EXPANSIONS
        if exact:
            lo_old = hi_old = p.exact(old)
            lo_new = hi_new = p.exact(new)
            if p.cnf.solve([p.cnf.xor(lo_old, lo_new)]) is None:
                return self._proved()
        else:
            lo_old, hi_old = p.exists(old), p.upper(old)
            lo_new, hi_new = p.exists(new), p.upper(new)
        found: list[Counterexample] = []
        sides = self.sides
        directions: list[tuple[Literal["old", "new"], int, int, Node]] = [
            ("old", lo_old, hi_new, sides.focus_new or new),
            ("new", lo_new, hi_old, sides.focus_old or old),
        ]
        for meets, lo, hi_other, fail_node in directions:
            model = p.cnf.solve([lo, -hi_other])
            if model is not None:
                found.append(self._describe(p, model, meets, lo, hi_other, fail_node))
        if found:
            return False, found
        return (None, []) if not exact else self._proved()

    def _proved(self) -> tuple[bool | None, list[Counterexample]]:
        """Equivalent skeletons. That proves the rules equivalent unless one of them counts
        the same counting leaf (or inlined credential) twice: the skeleton reads both as one
        variable, while each needs its own courses (exclusivity is not modelled inside atoms)."""
        for node in (self.sides.old, self.sides.new):
            seen = Counter(a.key for a in atoms(node) if a.consumes)
            if any(n > 1 for n in seen.values()):
                return None, []
        return True, []

    # -- making a model minimal and readable ----------------------------------------------

    def _describe(
        self,
        p: _Problem,
        model: dict[int, bool],
        meets: Literal["old", "new"],
        lo: int,
        hi_other: int,
        fail_node: Node,
    ) -> Counterexample:
        values = {v: model.get(v, False) for v in p.inputs.values()}
        values = self._minimise(p, values, lo, hi_other)
        return self._words(p, values, meets, fail_node)

    def _minimise(self, p: _Problem, values: dict[int, bool], lo: int, hi_other: int) -> dict[int, bool]:
        def ok(vals: dict[int, bool]) -> bool:
            if any(vals[a] and not vals[b] for a, b in p.implications):
                return False
            fixed = [v if on else -v for v, on in vals.items()]
            return p.cnf.solve([*fixed, lo, -hi_other]) is not None

        # strongest first: higher grade levels before lower, then atoms
        def strength(item: tuple[tuple[Any, ...], int]) -> tuple[int, float]:
            key, _v = item
            if key[0] == "has":
                return (0, -(key[2] if key[2] is not None else -1.0))
            return (1, 0.0)

        order = [v for _k, v in sorted(p.inputs.items(), key=strength)]
        calls = 0
        changed = True
        while changed and calls < MAX_MINIMISE_CALLS:
            changed = False
            for v in order:
                if not values[v] or calls >= MAX_MINIMISE_CALLS:
                    continue
                trial = dict(values)
                trial[v] = False
                calls += 1
                if ok(trial):
                    values = trial
                    changed = True
        return values

    def _grade(self, level: Level) -> str:
        if level is None:
            return "a passing grade"
        return self.grades.get(level, f"{level:g} points")

    def _words(
        self, p: _Problem, values: dict[int, bool], meets: Literal["old", "new"], fail_node: Node
    ) -> Counterexample:
        """The counterexample in words: everything it has of both rules when that is short,
        else only what it has of the parts that differ (it meets the parts both share)."""
        full_fail = self.sides.new if meets == "old" else self.sides.old
        whole = self._phrase(p, values, meets, full_fail, False)
        focus = self.sides.focus_old is not None and self.sides.focus_new is not None
        if not focus or len(whole.has) + len(whole.lacks) <= MAX_WHOLE:
            return whole
        return self._phrase(p, values, meets, fail_node, True)

    def _phrase(
        self, p: _Problem, values: dict[int, bool], meets: Literal["old", "new"], fail_node: Node, focus: bool
    ) -> Counterexample:
        shown_courses: set[str] | None = None
        shown_atoms: set[Hashable] | None = None
        if focus:
            parts = [n for n in (self.sides.focus_old, self.sides.focus_new) if n is not None]
            shown_courses = {o.course for n in parts for o in occurrences(n)}
            shown_atoms = {a.key for n in parts for a in atoms(n)}
        levels: dict[str, dict[Level, bool]] = {}
        atoms_true: list[str] = []
        atoms_false: dict[Hashable, bool] = {}
        for key, v in p.inputs.items():
            if key[0] == "has":
                if shown_courses is None or key[1] in shown_courses:
                    levels.setdefault(key[1], {})[key[2]] = values[v]
            elif shown_atoms is None or key[1] in shown_atoms:
                atoms_false[key[1]] = values[v]
        texts = self._atom_texts(list(atoms_false))
        for atom, on in atoms_false.items():
            if on:
                atoms_true.append(texts[atom])
        has: list[str] = []
        lacking_courses: set[str] = set()
        for course in sorted(levels):
            lv = levels[course]
            ordered = sorted(lv, key=lambda x: -1.0 if x is None else x)
            true = [lvl for lvl in ordered if lv[lvl]]
            false = [lvl for lvl in ordered if not lv[lvl]]
            if not true:
                lacking_courses.add(course)
                continue
            top = true[-1]
            if not false:
                has.append(course if top is None else f"{course} ({self._grade(top)} or better)")
            else:
                first_false = false[0]
                if top is None:
                    has.append(f"{course} below {self._grade(first_false)}")
                else:
                    has.append(f"{course} at {self._grade(top)} but below {self._grade(first_false)}")
        has.extend(sorted(atoms_true))
        lacks: list[str] = []
        fail_courses = {o.course for o in occurrences(fail_node)}
        for course in sorted(fail_courses):
            if course in lacking_courses:
                lacks.append(course)
        for a in dict.fromkeys(atoms(fail_node)):
            if not atoms_false.get(a.key, False):
                lacks.append(texts[a.key])
        lacks = list(dict.fromkeys(lacks))
        more = max(0, len(lacks) - MAX_LACKS)
        return Counterexample(meets, has, lacks[:MAX_LACKS], more, focus)

    def _atom_texts(self, keys: list[Hashable]) -> dict[Hashable, str]:
        """Plain words for each atom; two atoms that read alike are told apart by version."""
        texts = {k: self.atoms[k].text for k in keys}
        by_text: dict[str, list[Hashable]] = {}
        for k, t in texts.items():
            by_text.setdefault(t, []).append(k)
        for t, ks in by_text.items():
            if len(ks) > 1:
                for k in ks:
                    texts[k] = f"{t} (as the {self.atoms[k].side} version counts them)"
        return texts
