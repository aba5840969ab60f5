"""The pathological credential of the benchmarks: ``at_least: 6`` of 12 children, each
``courses: 2`` from overlapping pools drawn from 40 courses, plus a ``credits`` leaf on the
same courses. An exhaustive engine must try every combination (more than 10^12) to prove
that a learner one course short cannot meet it."""

from __future__ import annotations

import datetime as dt
import random

from microcred.io.loader import read_catalog
from microcred.io.transcript import Transcript
from microcred.model.catalog import Catalog

N_COURSES = 40
N_POOLS = 12
POOL_SIZE = 8


def courses() -> list[str]:
    return [f"HARD {1000 + 10 * i}" for i in range(N_COURSES)]


def pools(seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    ids = courses()
    return [sorted(rng.sample(ids, POOL_SIZE)) for _ in range(N_POOLS)]


def catalogue_yaml(seed: int = 7) -> str:
    lines = [
        "catalog: {id: hard, name: Pathological University}",
        "taxonomy: {types: {certificate: {}}}",
        "courses:",
    ]
    lines += [f"  - {{id: {c}, title: Course {c}, credits: 3}}" for c in courses()]
    lines += [
        "credentials:",
        "  - id: hard",
        "    type: certificate",
        "    title: Hard Certificate",
        "    requires:",
        "      all:",
        "        - at_least: 6",
        "          of:",
    ]
    for i, pool in enumerate(pools(seed)):
        lines.append(f"            - {{id: pool{i}, courses: 2, from: {{ids: [{', '.join(pool)}]}}}}")
    lines.append(f"        - {{id: extra, credits: 9, from: {{ids: [{', '.join(courses())}]}}}}")
    return "\n".join(lines) + "\n"


def catalogue(tmp_dir: str, seed: int = 7) -> Catalog:
    import pathlib

    path = pathlib.Path(tmp_dir) / "hard.yaml"
    path.write_text(catalogue_yaml(seed))
    catalog, diags = read_catalog(path)
    errors = [d for d in diags if d.is_error]
    assert not errors, errors
    return catalog


def learners(seed: int = 7) -> tuple[Transcript, Transcript]:
    """A learner who meets it through essentially one assignment, and one a course short."""
    ps = pools(seed)
    # pick 6 pools and 2 distinct courses from each, greedily avoiding reuse
    used: list[str] = []
    for pool in ps:
        free = [c for c in pool if c not in used]
        if len(free) >= 2 and len(used) < 12:
            used += free[:2]
    others = [c for c in courses() if c not in used][:3]
    taken = used + others  # 12 for the pools + 3 (9 credits) for the credits leaf
    day = dt.date(2025, 5, 9)

    def transcript(ids: list[str], who: str) -> Transcript:
        return Transcript.model_validate(
            {
                "learner": {"id": who},
                "as_of": dt.date(2026, 1, 1),
                "attempts": [{"course": c, "date": day, "grade": "A"} for c in ids],
            }
        )

    return transcript(taken, "meets"), transcript(taken[:-1], "short")
