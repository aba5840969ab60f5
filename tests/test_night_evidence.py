"""`microcred batch --db … --evidence DIR`: learners read from a database (SQLite) find their
external credentials in DIR (a folder per learner id, the files directly in DIR offered to
every learner), and they count exactly as in `microcred evaluate` with the same evidence:
statuses, dates and the recognition explanations, stored in ``microcred_learners.recognition``.
Badges are signed by PyJWT (RS256, a did:web issuer)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import ob3_credential
from nightdb import load_tables

from microcred.badges.identity import controller_document, did_web_url
from microcred.badges.keys import SigningKey, generate_key, jwk_thumbprint
from microcred.cli import main
from microcred.io.sql import read_results
from microcred.io.transcript import Transcript

jwt = pytest.importorskip("jwt", reason="PyJWT is not installed (pip install -e '.[test]')")

AS_OF = dt.date(2026, 5, 20)
WEB = "did:web:credly.example"
CLOUD = "https://credly.example/achievements/cloud-practitioner"

CATALOGUE = f"""
catalog: {{id: example-university, name: Example University}}
taxonomy: {{types: {{badge: {{stacks_into: [certificate]}}, certificate: {{}}}}}}
courses:
  - {{id: CSCI 1410, title: Fundamentals of Computing, credits: 3}}
  - {{id: CSCI 2312, title: Intermediate Programming, credits: 3}}
credentials:
  - {{id: cloud-practitioner, type: badge, title: Cloud Practitioner, credits: 3}}
  - id: cloud-cert
    type: certificate
    title: Cloud Computing Certificate
    requires: {{all: [{{credential: cloud-practitioner}}, {{course: CSCI 1410}}]}}
recognition:
  - id: aws-ccp
    match: {{issuer: "{WEB}", achievement: "{CLOUD}"}}
    grants: {{credential: cloud-practitioner}}
"""

LEARNERS = [
    Transcript.model_validate(
        {
            "learner": {"id": lid, "name": name, "email": f"{name.lower()}@example.edu"},
            "as_of": AS_OF,
            "attempts": [{"course": "CSCI 1410", "date": "2024-05-01", "grade": "A"}],
        }
    )
    for lid, name in (("S1", "Ada"), ("S2", "Grace"), ("S3", "Edsger"), ("S4", "Barbara"), ("S5", "Alan"))
]


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key("rsa", rsa_bits=2048)


def badge(key: SigningKey, email: str, cid: str, **changes: Any) -> str:
    """A cloud badge for ``email`` (a salted hash), signed by PyJWT with the issuer's key."""
    from cryptography.hazmat.primitives import serialization

    c = ob3_credential(WEB, cid)
    c["validFrom"] = "2025-03-01T00:00:00Z"
    subject = c["credentialSubject"]
    del subject["id"]
    subject["identifier"] = [
        {
            "type": "IdentityObject",
            "identityType": "emailAddress",
            "hashed": True,
            "salt": "pepper",
            "identityHash": "sha256$" + hashlib.sha256((email + "pepper").encode()).hexdigest(),
        }
    ]
    subject["achievement"]["id"] = CLOUD
    c.update(changes)
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    kid = f"{WEB}#{jwk_thumbprint(key.public_jwk())}"
    return str(jwt.encode({**c, "iss": WEB}, pem, algorithm="RS256", headers={"kid": kid}))


def run(*argv: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def world(tmp_path: Path, key: SigningKey) -> dict[str, Any]:
    cat = tmp_path / "catalogue.yaml"
    cat.write_text(CATALOGUE)
    did_json = tmp_path / "did.json"
    did_json.write_text(json.dumps(controller_document(WEB, [key])))
    indb = tmp_path / "sis.db"
    with sqlite3.connect(indb) as conn:
        load_tables(conn, LEARNERS)
    ev = tmp_path / "evidence"
    for lid in ("S1", "S2", "S4"):
        (ev / lid).mkdir(parents=True)
    (ev / "S1" / "cloud.jwt").write_text(badge(key, "ada@example.edu", "urn:uuid:1"))
    stranger = generate_key("rsa", rsa_bits=2048)
    (ev / "S2" / "forged.jwt").write_text(badge(stranger, "grace@example.edu", "urn:uuid:2"))
    # offered to every learner: binding keeps it with Edsger
    (ev / "shared.jwt").write_text(badge(key, "edsger@example.edu", "urn:uuid:3"))
    (ev / "S4" / "broken.json").write_text('{"type": ')
    transcripts = []
    for t in LEARNERS:
        f = tmp_path / f"{t.learner.id}.json"
        f.write_text(t.model_dump_json(exclude_none=True))
        transcripts.append(f)
    common = ["--evidence", ev, "--resolve", f"{did_web_url(WEB)}={did_json}", "--as-of", AS_OF.isoformat()]
    return {"cat": cat, "indb": indb, "ev": ev, "common": common, "transcripts": transcripts, "tmp": tmp_path}


def night(world: dict[str, Any], out: Path, *extra: object) -> tuple[int, str]:
    db = ["--db", world["indb"], "--learners", "learners", "-o", f"sqlite:///{out}"]
    code, _out, err = run("batch", "--catalog", world["cat"], *db, "--cache-dir", world["tmp"] / "cache",
                          *world["common"], *extra)  # fmt: skip
    return code, err


def evaluated(world: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    code, out, err = run("evaluate", "--catalog", world["cat"], *world["transcripts"], "--format", "json",
                         "--no-cache", *world["common"])  # fmt: skip
    docs = {d["learner"]["id"]: d for d in map(json.loads, out.splitlines())}
    return code, docs, err


def stored(out: Path) -> dict[str, Any]:
    docs = {}
    for doc in read_results(f"sqlite:///{out}"):
        doc["learner"].pop("name", None)  # the learners table gives names; the transcripts too
        docs[doc["learner"]["id"]] = doc
    return docs


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_evidence_counts_as_in_evaluate(world: dict[str, Any], jobs: str) -> None:
    out = world["tmp"] / "results.db"
    code, err = night(world, out, "--jobs", jobs)
    assert code == 1 and "1 with errors" in err, err  # a malformed evidence file fails that learner, not the night
    ecode, want, eerr = evaluated(world)
    assert ecode == 1 and "E507" in eerr  # evaluate says the same of S4
    for doc in want.values():
        doc["learner"].pop("name", None)
        for c in doc["credentials"].values():
            c.pop("requirements", None)  # the tree of a report, which nights do not store
    got = stored(out)
    assert sorted(got) == sorted(want) == ["S1", "S2", "S3", "S5"]
    for lid in want:
        assert orjson.dumps(got[lid]) == orjson.dumps(want[lid]), lid
    assert got["S1"]["credentials"]["cloud-cert"]["status"] == "earned"
    assert [(o["status"], o["reason"]) for o in got["S1"]["recognition"]] == [("recognised", None)]
    assert [o["reason"] for o in got["S2"]["recognition"]] == ["untrusted_issuer"]
    assert got["S2"]["credentials"]["cloud-cert"]["status"] == "partial"
    assert got["S3"]["credentials"]["cloud-cert"]["status"] == "earned"  # the shared file is Edsger's
    assert [o["reason"] for o in got["S5"]["recognition"]] == ["wrong_recipient"]  # Edsger's, offered to all
    assert got["S5"]["credentials"]["cloud-practitioner"]["status"] == "not_started"
    with sqlite3.connect(out) as conn:
        errors = conn.execute("SELECT learner_id, source, code FROM microcred_errors").fetchall()
    assert [(lid, code) for lid, _s, code in errors] == [("S4", "E507")] and errors[0][1].endswith("broken.json")


def test_without_evidence_the_stored_results_are_as_before(world: dict[str, Any]) -> None:
    out = world["tmp"] / "plain.db"
    code, _out, err = run("batch", "--catalog", world["cat"], "--db", world["indb"], "-o", f"sqlite:///{out}",
                          "--as-of", AS_OF.isoformat(), "--no-cache")  # fmt: skip
    assert code == 0, err
    docs = list(read_results(f"sqlite:///{out}"))
    assert len(docs) == 5 and all("recognition" not in d for d in docs)
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT COUNT(*) FROM microcred_learners WHERE recognition IS NOT NULL").fetchone() == (0,)


def test_a_results_database_from_before_gains_the_column(world: dict[str, Any]) -> None:
    (world["ev"] / "S4" / "broken.json").unlink()
    out = world["tmp"] / "old.db"
    with sqlite3.connect(out) as conn:
        conn.execute(
            "CREATE TABLE microcred_learners (learner_id TEXT PRIMARY KEY, name TEXT, evaluated_as_of DATE NOT NULL, "
            "warnings TEXT NOT NULL, stacking TEXT NOT NULL, input_digest TEXT NOT NULL, recheck_on DATE, "
            "run_id INTEGER NOT NULL)"
        )
    code, err = night(world, out, "--incremental")
    assert code == 0, err
    assert stored(out)["S1"]["recognition"][0]["status"] == "recognised"


def test_an_incremental_night_sees_new_evidence(world: dict[str, Any], key: SigningKey) -> None:
    (world["ev"] / "S4" / "broken.json").unlink()
    out = world["tmp"] / "results.db"
    code, err = night(world, out, "--incremental")
    assert code == 0, err
    with sqlite3.connect(out) as conn:
        rechecks = dict(conn.execute("SELECT learner_id, recheck_on FROM microcred_learners").fetchall())
    # verification depends on the date: a learner with evidence is looked at again the next day
    assert rechecks["S1"] == rechecks["S2"] == (AS_OF + dt.timedelta(days=1)).isoformat()
    assert rechecks["S5"] is None
    code, err = night(world, out, "--incremental")
    assert code == 0 and "5 unchanged" in err, err
    # Alan's badge arrives; nothing in the database changed
    (world["ev"] / "S5").mkdir()
    (world["ev"] / "S5" / "cloud.jwt").write_text(badge(key, "alan@example.edu", "urn:uuid:5"))
    code, err = night(world, out, "--incremental")
    assert code == 0, err
    got = stored(out)
    assert got["S5"]["credentials"]["cloud-cert"]["status"] == "earned"
    assert [o["rule"] for o in got["S5"]["recognition"]] == ["aws-ccp"]
    # and a change in what verification reads (here the issuer's keys) evaluates everyone again
    stranger = generate_key("rsa", rsa_bits=2048)
    (world["tmp"] / "did.json").write_text(json.dumps(controller_document(WEB, [stranger])))
    code, err = night(world, out, "--incremental")
    assert code == 0 and " 0 unchanged" in err, err
    assert stored(out)["S5"]["credentials"]["cloud-cert"]["status"] == "partial"


@pytest.fixture(scope="module")
def server() -> Any:
    from nightdb import postgres_server

    try:
        with postgres_server() as url:
            yield url
    except RuntimeError as exc:
        pytest.skip(f"no PostgreSQL server for these tests: {exc}")


def test_postgres_too(world: dict[str, Any], server: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS evidence")
        conn.execute("CREATE DATABASE evidence")
    url = server.rsplit("/", 1)[0] + "/evidence"
    with psycopg.connect(url) as conn:
        load_tables(conn, LEARNERS, param="%s")
    (world["ev"] / "S4" / "broken.json").unlink()
    db = ["--db", url, "--learners", "learners", "-o", url, "--jobs", "2", "--incremental"]
    code, _out, err = run("batch", "--catalog", world["cat"], *db, "--no-cache", *world["common"])
    assert code == 0, err
    _code, want, _err = evaluated(world)
    got = {d["learner"]["id"]: d for d in read_results(url)}
    for lid, doc in want.items():
        for c in doc["credentials"].values():
            c.pop("requirements", None)
        assert orjson.dumps(got[lid]) == orjson.dumps(doc), lid
    assert [o["status"] for o in got["S1"]["recognition"]] == ["recognised"]
