"""The programmes the learners of Example University (``catalog/example-university``) follow,
which :mod:`microcred.run.generate` uses for that catalogue: certificates, the software development
microcredential, badges, the associate and the bachelor degree, with how common each is. The
course and credential ids are the catalogue's."""

from __future__ import annotations

from microcred.run.programmes import Award, Programme, Step, all_of, k_of, one_of

__all__ = ["EXAMPLE_PROGRAMMES"]

#: The id of the catalogue these programmes belong to (its ``info.id``).
CATALOG_ID = "example-university"

_GENED = (
    all_of("ENGL 1020", "ENGL 2030"),
    one_of("MATH 1010", "MATH 1070", "MATH 1110"),
    one_of("COMM 1011", "COMM 1021"),
    Step(1, (("CHEM 1100",), ("CHEM 2031", "CHEM 2038"))),
    one_of("ENGL 2600", "PHIL 2441", "ENGL 2154"),
)
_SOFTWARE = (
    all_of("CSCI 1410", "CSCI 1411", "CSCI 2312", "CSCI 2421"),
    one_of("CSCI 3287", "ISMG 3600"),
    one_of("CSCI 3508", "CSCI 2040"),
)
_DATA = (
    all_of("CSCI 1410", "CSCI 1411", "STAT 2000"),
    one_of("STAT 3100", "CSCI 3287", "ISMG 3600"),
    all_of("STAT 3001"),
    k_of(2, "STAT 3010", "STAT 3510", "STAT 4010", "STAT 4020"),
    one_of("STAT 4900", "CSCI 4580"),
)
_INFRA = (
    all_of("CSCI 2910", "CSCI 2150", "CSCI 3800", "CSCI 3761", "ISMG 4300"),
    one_of("CSCI 4743", "CSCI 3453"),
    one_of("CSCI 4591", "ISMG 4800"),
)
_BIZTECH = (
    all_of("ISMG 3000"),
    Step(
        2,
        (
            (one_of("ISMG 2100", "ISMG 2050"), one_of("STAT 1050", "STAT 2000"), "ISMG 4700"),
            ("BUSN 3500", "BUSN 2300", one_of("COMM 3271", "COMM 3120")),
            (
                "ENGL 3154",
                one_of("COMM 1021", "COMM 2050"),
                one_of("ENGL 3084", "ENGL 3170", "ENGL 4175", "COMM 4270", "COMM 3120", "COMM 3271"),
            ),
        ),
    ),
)
_AAS = (
    *_GENED,
    *_SOFTWARE,
    Step(1, (_INFRA, _BIZTECH)),
    k_of(2, "CSCI 2525", "CSCI 2040", "CSCI 3415", "ISMG 2750", "CSCI 3412"),
)
_AAS_FILLERS = ("BUSN 1000", "BUSN 2200", "PHIL 1020", "MATH 1401", "COMM 1011", "ENGL 2600", "BUSN 2400")
_AWS = Award("aws-cloud-practitioner", 0.3, replaces=("CSCI 2910",))

#: The programmes learners of Example University follow, with how common each is.
EXAMPLE_PROGRAMMES: tuple[Programme, ...] = (
    Programme(
        "data-analytics", "data-analytics-certificate", 0.14, _DATA, extras=(("STAT 1050", 0.2), ("STAT 2011", 0.3))
    ),
    Programme("it-infrastructure", "it-infrastructure-certificate", 0.12, _INFRA, awards=(_AWS,)),
    Programme("business-technology", "business-technology-certificate", 0.12, _BIZTECH),
    Programme("software-development", "software-development", 0.08, _SOFTWARE),
    Programme(
        "badges",
        "python-programming",
        0.10,
        (
            Step(
                2,
                (
                    ("CSCI 1410", "CSCI 1411"),
                    (one_of("ISMG 2100", "ISMG 2050"),),
                    ("STAT 1050",),
                    ("CSCI 2910",),
                    (one_of("CHEM 2038", "CHEM 2068"),),
                    (one_of("COMM 1021", "COMM 2050"),),
                    ("ENGL 3154",),
                    (one_of("CSCI 3287", "ISMG 3600"),),
                ),
            ),
        ),
        awards=(Award("aws-cloud-practitioner", 0.05),),
        transfer_rate=0.02,
    ),
    Programme(
        "associate",
        "aas-information-technology",
        0.22,
        _AAS,
        extras=(("BUSN 1950", 0.5),),
        credits=64,
        fillers=_AAS_FILLERS,
        awards=(Award("aws-cloud-practitioner", 0.08),),
        transfer_rate=0.15,
    ),
    Programme(
        "bachelor",
        "bas-information-systems",
        0.22,
        (
            # the bachelor's own courses first, so that the choices below avoid them (a course
            # counts once within the degree, however many of its parts it fits)
            all_of("ISMG 3500", "ISMG 4800", "BUSN 2100"),
            Step(2, (("MATH 2817",), ("MATH 3191",), ("MATH 3301",), ("MATH 1401", "MATH 2411"))),
            one_of("ENGL 3084", "ENGL 3170", "ENGL 4175"),
            one_of("PHIL 1020", "CSCI 3002", "PHIL 3500", "BUSN 2400"),
            one_of("ISMG 4900", "BUSN 4800", "CSCI 4950"),
            *_DATA,
            *_AAS,
        ),
        extras=(("BUSN 1950", 0.5),),
        credits=124,
        upper_credits=33,
        fillers=(
            *_AAS_FILLERS,
            "BUSN 3100",
            "BUSN 3300",
            "BUSN 3600",
            "CSCI 3412",
            "CSCI 4800",
            "ISMG 4700",
            "COMM 3120",
            "ENGL 3170",
        ),
        awards=(Award("aws-cloud-practitioner", 0.05),),
        transfer_rate=0.2,
    ),
)
