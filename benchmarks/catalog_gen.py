"""Generate a realistic, valid catalogue of any size, for benchmarks and scale tests.

``generate(n_courses, n_credentials)`` returns the files of a catalogue (name → YAML text):
courses spread over several subjects and levels with attributes, and a stacking ladder of
badges → microcredentials → certificates → degrees whose rules use every node kind
(``course``, ``courses``, ``credits``, ``any``, ``all``, ``at_least``, ``credential``, ``gpa``)
and the modifiers. The output is deterministic for a given seed.

Run it to write a catalogue to disk::

    python benchmarks/catalog_gen.py OUT_DIR [N_COURSES] [N_CREDENTIALS]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

SUBJECTS = [
    "ACCT",
    "ANTH",
    "ARTS",
    "BIOL",
    "BUSN",
    "CHEM",
    "COMM",
    "CSCI",
    "ECON",
    "EDUC",
    "ENGL",
    "ENGR",
    "FINA",
    "GEOG",
    "HIST",
    "ISMG",
    "MATH",
    "MGMT",
    "MKTG",
    "MUSC",
    "NURS",
    "PHIL",
    "PHYS",
    "PSCI",
    "PSYC",
    "SOCY",
    "SPAN",
    "STAT",
    "THEA",
    "WGST",
]
ATTRIBUTES = ["quant", "writing", "ethics", "lab", "capstone", "global", "diversity", "oral"]
LEVELS = [1000, 2000, 3000, 4000]
#: share of credentials of each type, lowest first
MIX = [("badge", 0.5), ("microcredential", 0.3), ("certificate", 0.15), ("degree", 0.05)]

TAXONOMY = """\
taxonomy:
  types:
    badge:
      label: Digital badge
      stacks_into: [microcredential, certificate, degree]
      credits: {min: 1, max: 6}
      required_fields: [description]
    microcredential:
      label: Microcredential
      stacks_into: [certificate, degree]
      credits: {min: 3, max: 15}
      required_fields: [description, criteria]
    certificate:
      label: Certificate
      stacks_into: [degree]
      credits: {min: 12, max: 36}
    degree:
      label: Degree
      credits: {min: 60, max: 130}
"""


def _yaml_list(items: list[str]) -> str:
    return "[" + ", ".join(items) + "]"


class _Gen:
    def __init__(self, n_courses: int, n_credentials: int, seed: int):
        self.rng = random.Random(seed)
        self.n_courses = n_courses
        self.n_credentials = n_credentials
        # subjects in use: about one per 150 courses, at least 4
        self.subjects = SUBJECTS[: max(4, min(len(SUBJECTS), n_courses // 150))]
        self.courses: list[tuple[str, str, int, int, list[str]]] = []  # id, subject, level, credits, attrs
        self.by_subject_level: dict[tuple[str, int], list[str]] = {}

    def make_courses(self) -> dict[str, str]:
        rng = self.rng
        files: dict[str, list[str]] = {s: [] for s in self.subjects}
        counters = {(s, lv): 0 for s in self.subjects for lv in LEVELS}
        for i in range(self.n_courses):
            subject = self.subjects[i % len(self.subjects)]
            level = LEVELS[(i // len(self.subjects)) % len(LEVELS)]
            counters[subject, level] += 1
            number = level + counters[subject, level]
            cid = f"{subject} {number}"
            credits = rng.choice([1, 3, 3, 3, 3, 4, 4])
            attrs = sorted(rng.sample(ATTRIBUTES, rng.choice([0, 0, 1, 1, 2])))
            self.courses.append((cid, subject, level, credits, attrs))
            self.by_subject_level.setdefault((subject, level), []).append(cid)
            line = f"  - {{id: {cid}, title: Course {number} in {subject}, credits: {credits}"
            if attrs:
                line += f", attributes: {_yaml_list(attrs)}"
            files[subject].append(line + "}")
        return {
            f"courses/{s.lower()}.yaml": "courses:\n" + "\n".join(lines) + "\n" for s, lines in files.items() if lines
        }

    def pick(self, subject: str, level: int, k: int) -> list[str]:
        pool = self.by_subject_level.get((subject, level)) or [c[0] for c in self.courses]
        return self.rng.sample(pool, min(k, len(pool)))

    def make_credentials(self) -> dict[str, str]:
        rng = self.rng
        counts = [max(1, round(self.n_credentials * share)) for _t, share in MIX]
        counts[0] += self.n_credentials - sum(counts)
        made: dict[str, list[str]] = {}
        files: dict[str, list[str]] = {}
        for (ctype, _share), count in zip(MIX, counts, strict=True):
            made[ctype] = []
            files[ctype] = []
            for i in range(count):
                cid = f"{ctype}-{i:05d}"
                subject = rng.choice(self.subjects)
                body = getattr(self, f"_{ctype}")(subject, made, i)
                credits = {"badge": 3, "microcredential": 9, "certificate": 24, "degree": 120}[ctype]
                entry = [
                    f"  - id: {cid}",
                    f"    type: {ctype}",
                    f"    title: {ctype.capitalize()} {i} in {subject}",
                    f"    description: Generated {ctype} number {i}, about {subject}.",
                    f"    criteria: Meet the rule below ({ctype} {i}).",
                    f"    credits: {credits}",
                    "    requires:",
                    *("      " + line for line in body),
                ]
                files[ctype].append("\n".join(entry))
                made[ctype].append(cid)
        return {f"credentials/{t}s.yaml": "credentials:\n" + "\n".join(v) + "\n" for t, v in files.items()}

    # one rule shape per type, varied with the index ------------------------------------------

    def _badge(self, subject: str, made: dict[str, list[str]], i: int) -> list[str]:
        shape = i % 4
        if shape == 0:
            (c,) = self.pick(subject, 1000, 1)
            return [f"course: {c}", "min_grade: C"]
        if shape == 1:
            a, b = self.pick(subject, 1000, 2)
            return ["any:", f"  - course: {a}", f"  - course: {b}"]
        if shape == 2:
            return ["courses: 1", f"from: {{subject: {subject}, level: 2000}}"]
        a, b = self.pick(subject, 2000, 2)
        return ["all:", f"  - course: {a}", f"  - course: {b}"]

    def _microcredential(self, subject: str, made: dict[str, list[str]], i: int) -> list[str]:
        badge = self.rng.choice(made["badge"])
        c = self.pick(subject, 3000, 3)
        lines = ["all:", f"  - credential: {badge}", f"  - course: {c[0]}"]
        if i % 3 == 0:
            lines += ["  - at_least: 1", "    of:", f"      - course: {c[1]}", f"      - course: {c[2]}"]
        elif i % 3 == 1:
            attr = self.rng.choice(ATTRIBUTES[:3])
            lines += ["  - courses: 1", f'    from: {{level: "2000+", attribute: {attr}}}']
        else:
            lines += ["  - credits: 3", f'    from: {{subject: {subject}, level: ">=3000", exclude: [{c[0]}]}}']
        if i % 5 == 0:
            lines = ["complete_within: {years: 4}", *lines]
        return lines

    def _certificate(self, subject: str, made: dict[str, list[str]], i: int) -> list[str]:
        micro = self.rng.sample(made["microcredential"], 2)
        other = self.rng.sample(self.subjects, 2)
        return [
            "all:",
            f"  - {{id: first, credential: {micro[0]}}}",
            "  - id: second",
            "    any:",
            f"      - credential: {micro[1]}",
            f"      - credential: {self.rng.choice(made['badge'])}",
            "  - id: electives",
            "    label: Upper-division electives",
            "    courses: 2",
            f'    from: {{subject: {_yaml_list([subject, *other])}, level: "3000+"}}',
            "  - {id: gpa, gpa: 2.5, over: {subject: " + subject + "}}",
        ]

    def _degree(self, subject: str, made: dict[str, list[str]], i: int) -> list[str]:
        cert = self.rng.choice(made["certificate"])
        micro = self.rng.choice(made["microcredential"])
        return [
            "all:",
            f"  - {{id: concentration, credential: {cert}}}",
            f"  - {{id: minor, credential: {micro}}}",
            "  - id: writing",
            "    min_grade: C",
            "    courses: 2",
            "    from: {attribute: writing}",
            "  - id: quantitative",
            "    at_least: 2",
            "    of:",
            "      - courses: 1",
            "        from: {attribute: quant, level: 1000-2999}",
            "      - courses: 1",
            f'        from: {{subject: {subject}, level: "<3000"}}',
            "      - courses: 1",
            "        from: {attribute: [quant, lab]}",
            "  - id: major",
            "    credits: 30",
            f'    from: {{subject: {subject}, level: "2000+"}}',
            "  - id: total",
            "    shared: true",
            "    credits: 120",
            '    from: {level: "1000+", credentials: {type: badge}}',
            "  - {id: gpa, gpa: 2.0}",
        ]


def generate(n_courses: int, n_credentials: int, seed: int = 20240501) -> dict[str, str]:
    """The files (relative name → YAML text) of a catalogue of the given size."""
    gen = _Gen(n_courses, n_credentials, seed)
    files = {
        "catalog.yaml": "catalog:\n  id: generated-university\n  name: Generated University\n  repeats: best\n",
        "taxonomy.yaml": TAXONOMY,
    }
    files.update(gen.make_courses())
    files.update(gen.make_credentials())
    return files


def write(root: Path, n_courses: int, n_credentials: int, seed: int = 20240501) -> Path:
    """Write a generated catalogue under ``root``; returns ``root``."""
    for name, text in generate(n_courses, n_credentials, seed).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


if __name__ == "__main__":
    out = Path(sys.argv[1])
    n_courses = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    n_credentials = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    write(out, n_courses, n_credentials)
    print(f"wrote {n_courses} courses and {n_credentials} credentials to {out}")
