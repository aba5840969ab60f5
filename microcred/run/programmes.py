"""What a synthetic learner follows (see :mod:`microcred.run.generate`): a :class:`Programme` of
:class:`Step` choices of courses toward a target credential, and the external credentials
(:class:`Award`) some of its learners hold; built from a catalogue's programmes file."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from microcred.model.programmes import ProgrammesFile, StepSpec

__all__ = ["Award", "Programme", "Step", "all_of", "from_file", "k_of", "one_of"]


@dataclass(frozen=True)
class Step:
    """Choose ``k`` distinct options; an option is a sequence of courses and nested steps."""

    k: int
    options: tuple[tuple[str | Step, ...], ...]


def all_of(*parts: str | Step) -> Step:
    return Step(1, (tuple(parts),))


def one_of(*courses: str | Step) -> Step:
    return Step(1, tuple((c,) for c in courses))


def k_of(k: int, *courses: str | Step) -> Step:
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


# -- from a programmes file (microcred.io.programmes reads and checks it) -----------------------


def _parts(items: Sequence[Any]) -> Iterator[str | Step]:
    """The parts of a list of the file, its nested lists (aliases of shared lists) spliced in."""
    from microcred.model.programmes import StepSpec

    for part in items:
        if isinstance(part, StepSpec):
            yield _step(part)
        elif isinstance(part, list):
            yield from _parts(part)
        else:
            yield part


def _step(spec: StepSpec) -> Step:
    if spec.all is not None:
        return all_of(*_parts(spec.all))
    if spec.one is not None:
        return one_of(*_parts(spec.one))
    if spec.of is not None:
        return k_of(spec.choose or 1, *_parts(spec.of))
    return Step(spec.choose or 1, tuple(tuple(_parts(option)) for option in spec.options or ()))


def from_file(spec: ProgrammesFile) -> tuple[Programme, ...]:
    """The programmes of a programmes file, in its order (a course id alone among a programme's
    steps is a step that takes it)."""
    return tuple(
        Programme(
            p.name,
            p.target,
            p.weight,
            tuple(part if isinstance(part, Step) else all_of(part) for part in _parts(p.steps)),
            extras=tuple(p.extras.items()),
            credits=p.credits,
            upper_credits=p.upper_credits,
            fillers=tuple(p.fillers),
            awards=tuple(Award(a.credential, a.probability, tuple(a.replaces)) for a in p.awards),
            transfer_rate=p.transfer_rate,
        )
        for p in spec.programmes
    )
