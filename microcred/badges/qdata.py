"""The metrics as CTDL Quantitative Data (QData) JSON-LD, for the Credential Engine registry.

One ``qdata:DataSetProfile`` holds the figures: ``qdata:hasMetric`` lists one ``qdata:Metric``
a figure (enrolments, completion rate, time to credential …); ``qdata:hasDimension`` the
``qdata:Dimension``\\ s the figures are broken down by (the credential or type, the date, and
each grouping: cohort, learner attributes), each with ``qdata:hasPoint``; and
``qdata:hasObservation`` one ``qdata:Observation`` a figure (``qdata:isObservationOf`` its
metric, ``qdata:atPoint`` its points), carrying a count as ``schema:value``, a rate as
``qdata:percentage`` with ``qdata:sizeOfPopulation``, and time to credential as
``qdata:median``, ``qdata:percentile25`` and ``qdata:percentile75`` in days with
``qdata:sizeOfData``. Credentials are points by the same ``@id`` (their CTID under the
registry's resource base) as in ``microcred export ctdl``.

Suppressed figures are left out (an observation must carry a value); the profile's
``qdata:dataSuppressionPolicy`` says so, and what the rule is.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from microcred.analysis.metrics import ALL, DESCRIPTIONS, POPULATION, TYPE_PREFIX, UNITS, MetricsTable, Row
from microcred.badges.ctdl import CTDL_CONTEXT, REGISTRY_RESOURCES, make_ctid
from microcred.model.catalog import Catalog

#: The figures an observation of "time to credential" carries, by metric.
_TIME = {"time_median": "qdata:median", "time_q1": "qdata:percentile25", "time_q3": "qdata:percentile75"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _number(value: int | Decimal) -> int | float:
    return value if isinstance(value, int) else float(value)


def to_qdata(
    table: MetricsTable,
    catalog: Catalog,
    *,
    language: str = "en-US",
    registry: str = REGISTRY_RESOURCES,
) -> dict[str, Any]:
    """The metrics as a JSON-LD document (see the module docstring)."""
    if not registry.endswith("/"):
        registry += "/"

    def text(value: str) -> dict[str, str]:
        return {language: value}

    def credential_ref(cid: str) -> str:
        cred = catalog.credentials.get(cid)
        given = cred.metadata.get("ctid") if cred is not None else None
        ctid = given if isinstance(given, str) else make_ctid(catalog.id, "credential", cid)
        return registry + ctid

    dates = table.as_of_dates()
    graph: list[dict[str, Any]] = []
    metrics: dict[str, str] = {}
    points: dict[str, dict[str, str]] = {}  # dimension -> point label -> @id
    observations: list[str] = []

    def metric(name: str, window: int) -> str:
        key = name if not window else f"{name}-{window}y"
        if key not in metrics:
            mid = f"_:metric-{_slug(key)}"
            metrics[key] = mid
            if name in _TIME:
                label, desc = "Time to credential", "Days from the first counted attempt to earned_on (quartiles)"
            else:
                label, desc = name.replace("_", " ").capitalize(), DESCRIPTIONS.get(name, name)
            if window:
                label, desc = f"{label}, within {window} years", f"{desc}; window {window} years"
            node: dict[str, Any] = {
                "@id": mid,
                "@type": "qdata:Metric",
                "ceterms:name": text(label),
                "ceterms:description": text(desc),
            }
            if name == "enrolled":
                node["qdata:metricType"] = ["metricCat:Enrollment"]
            graph.append(node)
        return metrics[key]

    def point(dimension: str, label: str, ref: str | None = None) -> str:
        pts = points.setdefault(dimension, {})
        if label not in pts:
            pts[label] = ref or f"_:point-{_slug(dimension)}-{_slug(label)}"
        return pts[label]

    def subject_point(subject: str) -> str:
        if subject == POPULATION:
            return point("credential", "all learners")
        if subject.startswith(TYPE_PREFIX):
            return point("credential", subject, f"_:type-{_slug(subject[len(TYPE_PREFIX) :])}")
        return point("credential", subject, credential_ref(subject))

    n = 0
    time_obs: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for r in table.rows:
        if r.suppressed or r.value is None:
            continue
        at = [point("as_of", r.as_of), subject_point(r.subject)]
        if r.dimension != ALL:
            at.append(point(r.dimension, r.group))
        if r.target:
            at.append(point("target", r.target, subject_point(r.target)))
        if r.metric in _TIME:
            k = (r.as_of, r.subject, r.dimension, r.group)
            obs = time_obs.get(k)
            if obs is None:
                n += 1
                obs = time_obs[k] = _observation(n, metric(r.metric, 0), at)
                obs["qdata:sizeOfData"] = r.denominator
                graph.append(obs)
                observations.append(obs["@id"])
            obs[_TIME[r.metric]] = _number(r.value)
            continue
        n += 1
        obs = _observation(n, metric(r.metric, r.window), at)
        _values(obs, r)
        graph.append(obs)
        observations.append(obs["@id"])

    dimensions = []
    for dim, pts in points.items():
        did = f"_:dimension-{_slug(dim)}"
        dimensions.append(did)
        node = {
            "@id": did,
            "@type": "qdata:Dimension",
            "ceterms:name": text(dim if dim != "as_of" else "date of the figures"),
            "qdata:hasPoint": list(pts.values()),
        }
        graph.append(node)
    for dim, pts in points.items():
        for label, pid in pts.items():
            if pid.startswith("_:"):
                name = table.title(label) if dim in ("credential", "target") else label
                graph.append({"@id": pid, "ceterms:name": text(name)})

    policy = (
        f"Figures of a group of fewer than {table.min_group_size} learners, and counts from 1 to "
        f"{table.min_group_size - 1}, are suppressed, with every rate, quantile or sum that rests on them; "
        "further counts are suppressed where one hidden count could be worked out from a total "
        f"(complementary suppression: at least two hidden, adding up to at least {table.min_group_size}). "
        "Suppressed figures are not published here."
    )
    first = min(dates) if dates else dt.date.today().isoformat()
    last = max(dates) if dates else first
    profile: dict[str, Any] = {
        "@id": "_:dataset",
        "@type": "qdata:DataSetProfile",
        "ceterms:name": text(f"Metrics of success: {catalog.info.name if catalog.info else catalog.id}"),
        "ceterms:description": text(
            "Enrolments, completion, time to credential, stack-through within "
            + " and ".join(str(w) for w in table.windows)
            + " years, expiry and renewal, and credit for prior learning, by credential, type, cohort and "
            "learner attribute (definitions: docs/metrics.md of microcred)."
        ),
        "qdata:dataSuppressionPolicy": text(policy),
        "qdata:dataSetTemporalCoverage": {
            "@type": "qdata:DataSetTimeFrame",
            "ceterms:startDate": first,
            "ceterms:endDate": last,
        },
        "qdata:relevantDataSetFor": [credential_ref(c) for c in sorted(catalog.credentials)],
        "qdata:hasMetric": list(metrics.values()),
        "qdata:hasDimension": dimensions,
        "qdata:hasObservation": observations,
    }
    issuer = catalog.info.issuer if catalog.info else None
    if issuer is not None and (issuer.id or issuer.url):
        profile["qdata:dataProvider"] = issuer.id or issuer.url
    return {"@context": CTDL_CONTEXT, "@graph": [profile, *graph]}


def _observation(n: int, metric_id: str, at: list[str]) -> dict[str, Any]:
    return {
        "@id": f"_:observation-{n}",
        "@type": "qdata:Observation",
        "qdata:isObservationOf": metric_id,
        "qdata:atPoint": at,
    }


def _values(obs: dict[str, Any], r: Row) -> None:
    assert r.value is not None
    unit = UNITS.get(r.metric, "count")
    if unit == "percent":
        obs["qdata:percentage"] = _number(r.value)
        obs["qdata:sizeOfPopulation"] = r.denominator
    else:
        obs["schema:value"] = _number(r.value)
        if r.denominator is not None:
            obs["qdata:sizeOfData"] = r.denominator


__all__ = ["to_qdata"]
