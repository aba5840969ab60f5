"""Grade scales: points, passing, and the order used by ``min_grade``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from microcred.taxonomy.models import GradeSpec, GradeValue


@dataclass(frozen=True, slots=True)
class Grade:
    name: str
    points: float | None
    passing: bool


DEFAULT_POINTS: dict[str, float] = {
    "A": 4.0,
    "A-": 3.7,
    "B+": 3.3,
    "B": 3.0,
    "B-": 2.7,
    "C+": 2.3,
    "C": 2.0,
    "C-": 1.7,
    "D+": 1.3,
    "D": 1.0,
    "D-": 0.7,
    "F": 0.0,
}
DEFAULT_PASSING_NO_POINTS = ("P", "S", "CR", "TR")
DEFAULT_FAILING_NO_POINTS = ("W", "I", "NC", "U", "AU")


class GradeScale:
    """A grade scale: each grade's points (or none) and whether it passes."""

    def __init__(self, grades: Mapping[str, Grade]):
        self.grades: dict[str, Grade] = dict(grades)

    @classmethod
    def default(cls) -> GradeScale:
        grades = {g: Grade(g, p, p > 0) for g, p in DEFAULT_POINTS.items()}
        grades.update({g: Grade(g, None, True) for g in DEFAULT_PASSING_NO_POINTS})
        grades.update({g: Grade(g, None, False) for g in DEFAULT_FAILING_NO_POINTS})
        return cls(grades)

    @classmethod
    def from_spec(cls, spec: Mapping[str, GradeValue] | None) -> GradeScale:
        """The catalogue's scale; when given it replaces the default whole."""
        if spec is None:
            return cls.default()
        grades: dict[str, Grade] = {}
        for name, value in spec.items():
            if isinstance(value, GradeSpec):
                points = value.points
                passing = value.passing if value.passing is not None else (points or 0) > 0
            else:
                points = float(value)
                passing = points > 0
            grades[name] = Grade(name, points, passing)
        return cls(grades)

    def __contains__(self, grade: object) -> bool:
        return grade in self.grades

    def __getitem__(self, grade: str) -> Grade:
        return self.grades[grade]

    def points(self, grade: str) -> float | None:
        return self.grades[grade].points

    @property
    def max_points(self) -> float:
        pts = [g.points for g in self.grades.values() if g.points is not None]
        return max(pts, default=0.0)

    def names(self) -> list[str]:
        return list(self.grades)
