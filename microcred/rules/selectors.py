"""Matching selectors against the catalogue's courses, through indexes, with a cache."""

from __future__ import annotations

from collections.abc import Mapping

from microcred.model.catalog import Course
from microcred.rules.nodes import Selector

SelectorKey = tuple[object, ...]


def selector_key(sel: Selector) -> SelectorKey:
    """A hashable key for a selector's course filters (lists are not hashable)."""
    return (
        tuple(sel.ids) if sel.ids is not None else None,
        sel.subjects,
        sel.level_bounds,
        sel.attributes,
        tuple(sel.exclude) if sel.exclude else None,
    )


def course_matches(course: Course, sel: Selector, bounds: tuple[int | None, int | None] | None = None) -> bool:
    """Whether one course passes every filter of ``sel`` (``bounds``: its level bounds, when
    already parsed). A selector of only ``credentials:`` matches no course (CONTRACT.md §6)."""
    return not sel.credentials_only and _passes_filters(course, sel, bounds)


def _passes_filters(course: Course, sel: Selector, bounds: tuple[int | None, int | None] | None) -> bool:
    if sel.ids is not None and course.id not in sel.ids:
        return False
    if sel.exclude and course.id in sel.exclude:
        return False
    subjects = sel.subjects
    if subjects is not None and course.subject not in subjects:
        return False
    lo, hi = sel.level_bounds if bounds is None else bounds
    if lo is not None or hi is not None:
        if course.level is None:
            return False
        if (lo is not None and course.level < lo) or (hi is not None and course.level > hi):
            return False
    attrs = sel.attributes
    return attrs is None or any(a in course.attributes for a in attrs)


class CourseIndex:
    """The catalogue's courses, indexed by subject and attribute, for fast selector matching."""

    def __init__(self, courses: Mapping[str, Course]):
        self.courses = courses
        self.by_subject: dict[str | None, list[str]] = {}
        self.by_attribute: dict[str, list[str]] = {}
        for cid, c in courses.items():
            self.by_subject.setdefault(c.subject, []).append(cid)
            for a in c.attributes:
                self.by_attribute.setdefault(a, []).append(cid)
        self._cache: dict[SelectorKey, frozenset[str]] = {}

    def match(self, sel: Selector) -> frozenset[str]:
        """Ids of the catalogue courses that ``sel`` matches (none for a selector of only
        ``credentials:``, which admits awarded credentials alone)."""
        if sel.credentials_only:
            return frozenset()
        key = selector_key(sel)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if sel.ids is not None:
            candidates: list[str] = [i for i in sel.ids if i in self.courses]
        elif sel.subjects is not None:
            candidates = [i for s in sel.subjects for i in self.by_subject.get(s, ())]
        elif sel.attributes is not None:
            candidates = list(dict.fromkeys(i for a in sel.attributes for i in self.by_attribute.get(a, ())))
        else:
            candidates = list(self.courses)
        bounds = sel.level_bounds
        result = frozenset(i for i in candidates if _passes_filters(self.courses[i], sel, bounds))
        self._cache[key] = result
        return result
