"""What a synthetic learner follows (see :mod:`microcred.run.generate`): a :class:`Programme` of
:class:`Step` choices of courses toward a target credential, and the external credentials
(:class:`Award`) some of its learners hold."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Award", "Programme", "Step", "all_of", "k_of", "one_of"]


@dataclass(frozen=True)
class Step:
    """Choose ``k`` distinct options; an option is a sequence of courses and nested steps."""

    k: int
    options: tuple[tuple[str | Step, ...], ...]


def all_of(*parts: str | Step) -> Step:
    return Step(1, (tuple(parts),))


def one_of(*courses: str) -> Step:
    return Step(1, tuple((c,) for c in courses))


def k_of(k: int, *courses: str) -> Step:
    return Step(k, tuple((c,) for c in courses))


@dataclass(frozen=True)
class Award:
    """An external credential some learners of a programme hold (awarded from outside)."""

    credential: str
    probability: float
    replaces: tuple[str, ...] = ()  # courses the holder then does not take


@dataclass(frozen=True)
class Programme:
    """A path learners follow toward one credential, and how common it is (``weight``)."""

    name: str
    target: str  # the credential the learner aims at
    weight: float
    steps: tuple[Step, ...]
    extras: tuple[tuple[str, float], ...] = ()  # (course, probability) taken on the side
    credits: float = 0.0  # fill with electives up to this many credits
    upper_credits: float = 0.0  # ... and this many at level 3000+
    fillers: tuple[str, ...] = ()
    awards: tuple[Award, ...] = ()
    transfer_rate: float = 0.06
