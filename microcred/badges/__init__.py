"""Other standards (the interop layer): Open Badges 3.0 and 2.0, CLR 2.0, CTDL; keys, proofs, verification.

Submodules: :mod:`keys` (generate/load/save signing keys), :mod:`jwt` (VC-JWT RS256/ES256/EdDSA),
:mod:`dataintegrity` (DataIntegrityProof eddsa-rdfc-2022 with an offline JSON-LD loader),
:mod:`ob3` (build an OpenBadgeCredential from an evaluation), :mod:`verify` (check a badge
file: PNG, SVG, JSON or JWT). See docs/badges.md.
"""

from microcred.badges.errors import BadgeError, VerifyResult

#: The forms of a signed CLR (``microcred clr --format``); kept here, free of the signing
#: libraries, so the command line can offer them without importing those.
CLR_FORMATS = ("jwt", "json")

__all__ = ["CLR_FORMATS", "BadgeError", "VerifyResult"]
