"""CTDL: the catalogue as Credential Transparency Description Language JSON-LD, for the
Credential Engine registry.

One ``@graph`` holds the issuing organization (``ceterms:CredentialOrganization``), every
credential of the catalogue typed with a specific CTDL credential class (never the generic
``ceterms:Credential``, which the registry rejects), and the courses their rules name
(``ceterms:Course``). Stacking becomes ``ceterms:isPartOf`` / ``ceterms:hasPart`` (direct
edges of the credential graph), and each rule becomes ``ceterms:requires`` →
``ceterms:ConditionProfile``:

- the profiles listed under ``ceterms:requires`` must all be met (a rule's top-level ``all``);
- within one profile every ``targetCredential`` / ``targetLearningOpportunity`` is required;
- ``ceterms:alternativeCondition`` lists profiles of which one suffices (``any``, a one-course
  pick from a short list, and ``at_least N`` spelled out as the combinations of N options
  when there are at most :data:`MAX_ALTERNATIVES`);
- ``credits`` rules carry ``ceterms:creditValue`` (a ``ceterms:ValueProfile`` with
  ``schema:value`` and ``ceterms:creditUnitType``);
- every profile has a ``ceterms:description`` that states the rule exactly in words, also
  where the structure above cannot (a GPA, "120 credits from any 1000+ course").

CTIDs are deterministic: ``ce-`` + UUID5 of ``microcred:{catalog id}:{kind}:{id}`` in the URL
namespace (kind ``credential``, ``course`` or ``organization``), so re-exporting updates the
same registry records; a credential's ``metadata.ctid`` overrides its CTID (for records
already in the registry), and its ``metadata.ctdl_type`` overrides the class.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from microcred.badges.competencies import ctdl_alignment
from microcred.model.catalog import Catalog, Credential
from microcred.model.graph import build_graph, stacked_from, stacks_into
from microcred.model.skills import course_alignments, credential_alignments, has_competencies
from microcred.rules.kinds import KINDS, Gate
from microcred.rules.nodes import RuleBase, Selector
from microcred.rules.selectors import CourseIndex

CTDL_CONTEXT = "https://credreg.net/ctdl/schema/context/json"
REGISTRY_RESOURCES = "https://credentialengineregistry.org/resources/"
#: terms of the CTDL AgentSector scheme an organization's ceterms:agentSectorType may name
AGENT_SECTORS = ("Public", "PrivateNonProfit", "PrivateForProfit")
DEFAULT_AGENT_SECTOR = "PrivateNonProfit"
#: the class a credential type that maps to no CTDL class is exported as (with a warning)
FALLBACK_CLASS = "ceterms:Certificate"
#: at most this many alternatives spell out an ``at_least`` / ``courses`` rule as combinations
MAX_ALTERNATIVES = 20
_CTID = re.compile(r"^ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

#: taxonomy type words → CTDL class, first match wins (on the type id and its label)
TYPE_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("microcredential", "ceterms:MicroCredential"),
    ("micro credential", "ceterms:MicroCredential"),
    ("open badge", "ceterms:OpenBadge"),
    ("openbadge", "ceterms:OpenBadge"),
    ("digital badge", "ceterms:DigitalBadge"),
    ("digitalbadge", "ceterms:DigitalBadge"),
    ("badge", "ceterms:Badge"),
    ("associate", "ceterms:AssociateDegree"),
    ("bachelor", "ceterms:BachelorDegree"),
    ("baccalaureate", "ceterms:BachelorDegree"),
    ("master degree", "ceterms:MasterDegree"),
    ("master", "ceterms:MasterDegree"),
    ("doctor", "ceterms:DoctoralDegree"),
    ("phd", "ceterms:DoctoralDegree"),
    ("apprenticeship", "ceterms:ApprenticeshipCertificate"),
    ("certificate of completion", "ceterms:CertificateOfCompletion"),
    ("certificate of participation", "ceterms:CertificateOfParticipation"),
    ("certification", "ceterms:Certification"),
    ("certificate", "ceterms:Certificate"),
    ("diploma", "ceterms:Diploma"),
    ("license", "ceterms:License"),
    ("licence", "ceterms:License"),
    ("degree", "ceterms:Degree"),
)

#: CTDL credential classes accepted in ``metadata.ctdl_type``
CREDENTIAL_CLASSES = frozenset(
    {
        "ceterms:AcademicCertificate",
        "ceterms:ApprenticeshipCertificate",
        "ceterms:AssociateDegree",
        "ceterms:AssociateOfAppliedArtsDegree",
        "ceterms:AssociateOfAppliedScienceDegree",
        "ceterms:AssociateOfArtsDegree",
        "ceterms:AssociateOfScienceDegree",
        "ceterms:BachelorDegree",
        "ceterms:BachelorOfArtsDegree",
        "ceterms:BachelorOfScienceDegree",
        "ceterms:Badge",
        "ceterms:BasicTechnicalCertificate",
        "ceterms:Certificate",
        "ceterms:CertificateOfCompletion",
        "ceterms:CertificateOfParticipation",
        "ceterms:Certification",
        "ceterms:Degree",
        "ceterms:DigitalBadge",
        "ceterms:Diploma",
        "ceterms:DoctoralDegree",
        "ceterms:GeneralEducationDevelopment",
        "ceterms:JourneymanCertificate",
        "ceterms:License",
        "ceterms:MasterCertificate",
        "ceterms:MasterDegree",
        "ceterms:MasterOfArtsDegree",
        "ceterms:MasterOfScienceDegree",
        "ceterms:MicroCredential",
        "ceterms:OpenBadge",
        "ceterms:ProfessionalDoctorate",
        "ceterms:QualityAssuranceCredential",
        "ceterms:ResearchDoctorate",
        "ceterms:SecondarySchoolDiploma",
    }
)


@dataclass
class CtdlExport:
    """The JSON-LD document and what the export had to guess or leave out."""

    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def make_ctid(catalog_id: str, kind: str, ident: str) -> str:
    """The deterministic CTID of one catalogue entry: ``ce-`` + UUID5."""
    return "ce-" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"microcred:{catalog_id}:{kind}:{ident}"))


def ctdl_class(type_id: str, label: str | None = None) -> str | None:
    """The CTDL credential class a taxonomy type maps to, or None when no word matches."""
    raw = f"{type_id} {label or ''}".lower()
    joined = " " + re.sub(r"[^a-z0-9 ]+", " ", re.sub(r"[-_]", "", raw)) + " "
    spaced = " " + re.sub(r"[^a-z0-9]+", " ", raw) + " "
    for word, cls in TYPE_KEYWORDS:
        if word in joined or word in spaced:
            return cls
    return None


def _fmt(x: float) -> str:
    return f"{x:g}"


def _plural(n: float, word: str) -> str:
    return f"{_fmt(n)} {word}{'' if n == 1 else 's'}"


class _Exporter:
    def __init__(
        self,
        catalog: Catalog,
        *,
        language: str,
        credit_unit: str,
        registry: str,
        max_listed: int,
        agent_type: str = "Postsecondary",
        agent_sector: str | None = None,
    ):
        self.agent_type = agent_type
        self.agent_sector = agent_sector
        self.catalog = catalog
        self.lang = language
        self.credit_unit = credit_unit
        self.registry = registry
        self.max_listed = max_listed
        self.graph = build_graph(catalog, courses=False)
        self.index = CourseIndex(catalog.courses)
        self.warnings: list[str] = []
        self.courses_used: set[str] = set()
        self.ctids: dict[str, str] = {}
        for cid, cred in catalog.credentials.items():
            self.ctids[cid] = self._credential_ctid(cid, cred)

    # -- small builders --------------------------------------------------------------------

    def text(self, value: str) -> dict[str, str]:
        return {self.lang: value}

    def ref(self, ctid: str) -> str:
        return self.registry + ctid

    def credential_ref(self, cid: str) -> str:
        return self.ref(self.ctids[cid])

    def course_ref(self, course_id: str) -> str:
        self.courses_used.add(course_id)
        return self.ref(make_ctid(self.catalog.id, "course", course_id))

    def _credential_ctid(self, cid: str, cred: Credential) -> str:
        given = cred.metadata.get("ctid")
        if isinstance(given, str) and _CTID.match(given):
            return given
        if given is not None:
            self.warnings.append(
                f"credential {cid}: metadata.ctid {given!r} is not a CTID (ce- and a lowercase UUID); "
                "a CTID was derived instead"
            )
        return make_ctid(self.catalog.id, "credential", cid)

    def credit_value(self, value: float) -> dict[str, Any]:
        return {
            "@type": "ceterms:ValueProfile",
            "schema:value": value,
            "ceterms:creditUnitType": [
                {
                    "@type": "ceterms:CredentialAlignmentObject",
                    "ceterms:framework": "https://credreg.net/ctdl/terms/CreditUnit",
                    "ceterms:targetNode": f"creditUnit:{self.credit_unit}",
                    "ceterms:targetNodeName": self.text(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", self.credit_unit)),
                }
            ],
        }

    # -- the organization ------------------------------------------------------------------

    def organization(self) -> tuple[str, dict[str, Any] | None]:
        """(@id of the issuing organization, its node — None when it is already registered)."""
        info = self.catalog.info
        issuer = info.issuer if info else None
        given = issuer.id if issuer else None
        if given and _CTID.match(given):
            return self.ref(given), None
        if given and given.startswith(("https://", "http://")) and _CTID.match(given.rpartition("/resources/")[2]):
            return given, None  # already in the registry: reference it, write no node
        ctid = make_ctid(self.catalog.id, "organization", self.catalog.id)
        name = issuer.name if issuer else (info.name if info else self.catalog.id)
        node: dict[str, Any] = {
            "@id": self.ref(ctid),
            "@type": "ceterms:CredentialOrganization",
            "ceterms:ctid": ctid,
            "ceterms:name": self.text(name),
            "ceterms:description": self.text(
                (issuer.description if issuer and issuer.description else None)
                or (info.description if info and info.description else None)
                or f"{name}, issuer of the credentials of the catalogue {info.name if info else self.catalog.id}."
            ),
        }
        if issuer and issuer.url:
            node["ceterms:subjectWebpage"] = issuer.url
        else:
            self.warnings.append("the catalogue's issuer has no url; the registry requires a subject webpage")
        if issuer and issuer.image:
            node["ceterms:image"] = issuer.image
        node["ceterms:agentType"] = [self.concept("OrganizationType", "orgType", self.agent_type)]
        sector = self.agent_sector
        if sector is None:
            sector = DEFAULT_AGENT_SECTOR
            self.warnings.append(
                f"the organization's sector is not given; written as agentSector:{sector} "
                "(say which with --agent-sector)"
            )
        node["ceterms:agentSectorType"] = [self.concept("AgentSector", "agentSector", sector)]
        return node["@id"], node

    def concept(self, scheme: str, prefix: str, term: str) -> dict[str, Any]:
        """A ``CredentialAlignmentObject`` naming ``prefix:term`` of the CTDL concept scheme."""
        return {
            "@type": "ceterms:CredentialAlignmentObject",
            "ceterms:framework": f"https://credreg.net/ctdl/terms/{scheme}",
            "ceterms:targetNode": f"{prefix}:{term}",
            "ceterms:targetNodeName": self.text(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", term)),
        }

    # -- rules → condition profiles --------------------------------------------------------

    def describe(self, node: RuleBase, grade: str | None) -> str:
        """The rule in plain words (modifiers included)."""
        grade = node.min_grade or grade
        s = KINDS[node.kind].ctdl_words(self, node, grade)
        if node.complete_within is not None:
            s += f", all completed within {node.complete_within}"
        if node.shared:
            s += " (courses counted here may also count elsewhere)"
        return s

    def selector(self, sel: Selector) -> str:
        if sel.ids is not None and not (sel.subjects or sel.attributes or sel.level is not None):
            return "; ".join(
                f"{i} {self.catalog.courses[i].title}" if i in self.catalog.courses else i for i in sel.ids
            )
        return sel.describe()

    def title(self, cid: str) -> str:
        cred = self.catalog.credentials.get(cid)
        return cred.title if cred else cid

    def credential_words(self, cid: str) -> str:
        cred = self.catalog.credentials.get(cid)
        return f"{cred.title} ({self.type_label(cred.type)})" if cred else cid

    def type_label(self, type_id: str) -> str:
        t = self.catalog.types.get(type_id)
        return (t.label if t and t.label else type_id).lower()

    def leaf_targets(self, node: RuleBase) -> tuple[list[str], list[str]] | None:
        """(courses, credentials) all of which meet ``node``, when it is such a conjunction."""
        return KINDS[node.kind].ctdl_targets(self, node)

    def plural(self, n: float, word: str) -> str:
        return _plural(n, word)

    def alignment(self, uri: str) -> dict[str, Any]:
        """The ``CredentialAlignmentObject`` of competency ``uri``."""
        return ctdl_alignment(self.catalog, uri, self.text)

    def profile(self, node: RuleBase, grade: str | None, prefix: str = "") -> dict[str, Any]:
        p: dict[str, Any] = {
            "@type": "ceterms:ConditionProfile",
            "ceterms:description": self.text(prefix + self.describe(node, grade)),
        }
        if node.label:
            p["ceterms:name"] = self.text(node.label)
        grade = node.min_grade or grade
        targets = self.leaf_targets(node)
        if targets is not None:
            self.targets(p, *targets)
        else:
            KINDS[node.kind].ctdl_profile(self, node, grade, p)
        return p

    def text_list(self, items: list[str]) -> dict[str, list[str]]:
        return {self.lang: items}

    def partial_targets(self, p: dict[str, Any], kids: Sequence[RuleBase]) -> None:
        courses: list[str] = []
        creds: list[str] = []
        for k in kids:
            t = self.leaf_targets(k)
            if t is not None:
                courses += t[0]
                creds += t[1]
        self.targets(p, courses, creds)

    def n_combinations(self, n: int, k: int) -> bool:
        return len(list(itertools.islice(itertools.combinations(range(n), k), MAX_ALTERNATIVES + 1))) <= (
            MAX_ALTERNATIVES
        )

    def combinations(
        self, p: dict[str, Any], options: list[tuple[list[str], list[str]]], k: int, grade: str | None
    ) -> None:
        if not self.n_combinations(len(options), k):
            return
        alts = []
        for combo in itertools.combinations(options, k):
            courses = [c for o in combo for c in o[0]]
            creds = [c for o in combo for c in o[1]]
            parts = []
            if courses:
                names = " and ".join(f"{c} {self.catalog.courses[c].title}" for c in courses)
                each = "each " if len(courses) > 1 else ""
                parts.append(f"complete {names}" + (f", {each}with {grade} or better" if grade else ""))
            if creds:
                parts.append("earn " + " and ".join(self.credential_words(c) for c in creds))
            words = "; and ".join(parts)
            alt: dict[str, Any] = {
                "@type": "ceterms:ConditionProfile",
                "ceterms:description": self.text(words[0].upper() + words[1:]),
            }
            self.targets(alt, courses, creds)
            alts.append(alt)
        p["ceterms:alternativeCondition"] = alts

    def targets(self, p: dict[str, Any], courses: Iterable[str], creds: Iterable[str]) -> None:
        cs = list(dict.fromkeys(courses))
        ks = list(dict.fromkeys(creds))
        if ks:
            p["ceterms:targetCredential"] = [self.credential_ref(c) for c in ks]
        if cs:
            p["ceterms:targetLearningOpportunity"] = [self.course_ref(c) for c in cs]

    def requires(self, cred: Credential) -> list[dict[str, Any]]:
        """The profiles that must all be met: a top-level ``all`` is split into its parts."""
        root = cred.requires
        if root is None:
            return []
        out: list[dict[str, Any]] = []

        def add(node: RuleBase, grade: str | None, prefix: str) -> None:
            if (
                KINDS[node.kind].boolean(node) == Gate("and", len(node.children()))
                and self.leaf_targets(node) is None
                and node.complete_within is None
                and not node.shared
            ):
                label = f"{prefix}{node.label} — " if node.label else prefix
                for kid in node.children():
                    add(kid, node.min_grade or grade, label)
            else:
                out.append(self.profile(node, grade, prefix))

        add(root, cred.min_grade, "")
        return out

    # -- nodes -----------------------------------------------------------------------------

    def credential_class(self, cid: str, cred: Credential) -> str:
        given = cred.metadata.get("ctdl_type")
        if given is not None:
            name = given if isinstance(given, str) and ":" in given else f"ceterms:{given}"
            if name in CREDENTIAL_CLASSES:
                return name
            self.warnings.append(
                f"credential {cid}: metadata.ctdl_type {given!r} is not a CTDL credential class "
                "(the registry rejects ceterms:Credential); the type's class is used"
            )
        ctype = self.catalog.types.get(cred.type)
        cls = ctdl_class(cred.type, ctype.label if ctype else None)
        if cls is None:
            self.warnings.append(
                f"credential {cid}: type {cred.type!r} maps to no CTDL credential class; exported as "
                f"{FALLBACK_CLASS} (set metadata.ctdl_type to choose, e.g. ceterms:Diploma)"
            )
            return FALLBACK_CLASS
        return cls

    def credential_node(self, cid: str, cred: Credential, org: str) -> dict[str, Any]:
        ctid = self.ctids[cid]
        description = cred.description or cred.criteria
        if not description:
            description = cred.title
            self.warnings.append(f"credential {cid}: no description; the registry requires one, so its title is used")
        node: dict[str, Any] = {
            "@id": self.ref(ctid),
            "@type": self.credential_class(cid, cred),
            "ceterms:ctid": ctid,
            "ceterms:name": self.text(cred.title),
            "ceterms:description": self.text(description),
            "ceterms:codedNotation": cid,
            "ceterms:inLanguage": [self.lang],
            "ceterms:credentialStatusType": {
                "@type": "ceterms:CredentialAlignmentObject",
                "ceterms:framework": "https://credreg.net/ctdl/terms/CredentialStatus",
                "ceterms:targetNode": "credentialStat:Active",
                "ceterms:targetNodeName": self.text("Active"),
            },
            "ceterms:ownedBy": [org],
            "ceterms:offeredBy": [org],
        }
        webpage = cred.metadata.get("url") or cred.metadata.get("subject_webpage")
        if not isinstance(webpage, str) or not webpage:
            info = self.catalog.info
            webpage = info.issuer.url if info and info.issuer and info.issuer.url else None
        if webpage:
            node["ceterms:subjectWebpage"] = webpage
        if cred.image:
            node["ceterms:image"] = cred.image
        if cred.tags:
            node["ceterms:keyword"] = self.text_list(list(cred.tags))
        requires = self.requires(cred)
        aligned = sorted(credential_alignments(self.catalog).get(cid, {})) if has_competencies(self.catalog) else []
        if aligned:
            requires.append(
                {
                    "@type": "ceterms:ConditionProfile",
                    "ceterms:description": self.text("Demonstrate the competencies this credential assesses."),
                    "ceterms:targetCompetency": [ctdl_alignment(self.catalog, u, self.text) for u in aligned],
                }
            )
        if requires:
            node["ceterms:requires"] = requires
        parents = [c for c in stacks_into(self.graph, cid) if c in self.ctids]
        children = [c for c in stacked_from(self.graph, cid) if c in self.ctids]
        if parents:
            node["ceterms:isPartOf"] = [self.credential_ref(c) for c in parents]
        if children:
            node["ceterms:hasPart"] = [self.credential_ref(c) for c in children]
        return node

    def course_node(self, course_id: str, org: str) -> dict[str, Any]:
        course = self.catalog.courses[course_id]
        ctid = make_ctid(self.catalog.id, "course", course_id)
        node: dict[str, Any] = {
            "@id": self.ref(ctid),
            "@type": "ceterms:Course",
            "ceterms:ctid": ctid,
            "ceterms:name": self.text(course.title),
            "ceterms:description": self.text(course.description or f"{course.id} {course.title}"),
            "ceterms:codedNotation": course.id,
            "ceterms:inLanguage": [self.lang],
            "ceterms:lifeCycleStatusType": {
                "@type": "ceterms:CredentialAlignmentObject",
                "ceterms:framework": "https://credreg.net/ctdl/terms/LifeCycleStatus",
                "ceterms:targetNode": "lifeCycle:Active",
                "ceterms:targetNodeName": self.text("Active"),
            },
            "ceterms:ownedBy": [org],
            "ceterms:offeredBy": [org],
            "ceterms:creditValue": [self.credit_value(course.credits)],
        }
        teaches = sorted(course_alignments(self.catalog, course_id)) if has_competencies(self.catalog) else []
        if teaches:
            node["ceterms:teaches"] = [ctdl_alignment(self.catalog, u, self.text) for u in teaches]
        info = self.catalog.info
        if info and info.issuer and info.issuer.url:
            node["ceterms:subjectWebpage"] = info.issuer.url
        return node

    def export(self) -> CtdlExport:
        org_id, org_node = self.organization()
        graph: list[dict[str, Any]] = [] if org_node is None else [org_node]
        creds = [self.credential_node(cid, cred, org_id) for cid, cred in sorted(self.catalog.credentials.items())]
        graph += creds
        # the recognition rules, as transfer values (docs/recognition.md); they may name courses
        transfer = self.transfer_values(org_id) if self.catalog.recognition else []
        graph += [self.course_node(c, org_id) for c in sorted(self.courses_used)]
        graph += transfer
        return CtdlExport({"@context": CTDL_CONTEXT, "@graph": graph}, self.warnings)

    def transfer_values(self, org: str) -> list[dict[str, Any]]:
        from microcred.badges.transfer import transfer_value_profiles

        return transfer_value_profiles(
            self.catalog,
            ctid=lambda kind, ident: make_ctid(self.catalog.id, kind, ident),
            ref=self.ref,
            course_ref=self.course_ref,
            credential_ref=self.credential_ref,
            text=self.text,
            credit_value=self.credit_value,
            org=org,
        )


def export_ctdl(
    catalog: Catalog,
    *,
    language: str = "en-US",
    credit_unit: str = "SemesterHour",
    registry: str = REGISTRY_RESOURCES,
    max_listed: int = 12,
    agent_type: str = "Postsecondary",
    agent_sector: str | None = None,
) -> CtdlExport:
    """The catalogue as a CTDL JSON-LD ``@graph`` (see the module docstring).

    ``language`` tags every text; ``credit_unit`` is a term of the CTDL CreditUnit scheme
    (``SemesterHour``, ``QuarterHour``, ``ContactHour``, ``ClockHour``, ``DegreeCredit`` …);
    ``registry`` is the resource base the ``@id`` URIs use (the sandbox is
    ``https://sandbox.credentialengineregistry.org/resources/``); a ``courses`` rule whose
    selector matches at most ``max_listed`` courses names them as targets. The organization's
    ``ceterms:agentType`` is ``orgType:<agent_type>`` (default ``Postsecondary``, a postsecondary
    educational institution) and its ``ceterms:agentSectorType`` ``agentSector:<agent_sector>``
    (``Public``, ``PrivateNonProfit``, ``PrivateForProfit``; unset: ``PrivateNonProfit``, with a
    warning).
    """
    if agent_sector is not None and agent_sector not in AGENT_SECTORS:
        raise ValueError(f"agent sector {agent_sector!r} is not one of {', '.join(AGENT_SECTORS)}")
    if not re.match(r"^[A-Za-z][A-Za-z0-9]*$", agent_type):
        raise ValueError(f"agent type {agent_type!r} is not an OrganizationType term such as Postsecondary")
    if not re.match(r"^[A-Za-z][A-Za-z0-9]*$", credit_unit):
        raise ValueError(f"credit unit {credit_unit!r} is not a CreditUnit term such as SemesterHour")
    if not registry.endswith("/"):
        registry += "/"
    return _Exporter(
        catalog,
        language=language,
        credit_unit=credit_unit,
        registry=registry,
        max_listed=max_listed,
        agent_type=agent_type,
        agent_sector=agent_sector,
    ).export()


__all__ = [
    "AGENT_SECTORS",
    "CTDL_CONTEXT",
    "FALLBACK_CLASS",
    "REGISTRY_RESOURCES",
    "CtdlExport",
    "ctdl_class",
    "export_ctdl",
    "make_ctid",
]
