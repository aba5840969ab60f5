"""Tiny College: a catalogue of three courses, a badge and a certificate, written as one file
(the generator's tests build populations and programmes for it)."""

TINY = """\
catalog: {id: tiny, name: Tiny College}
taxonomy:
  types:
    badge: {stacks_into: [certificate]}
    certificate: {}
courses:
  - {id: ART 1000, title: Drawing, credits: 3}
  - {id: ART 2000, title: Painting, credits: 3}
  - {id: ART 3000, title: Sculpture, credits: 3}
credentials:
  - {id: drawing, type: badge, title: Drawing, requires: {course: ART 1000}}
  - id: studio
    type: certificate
    title: Studio Art
    requires: {all: [{credential: drawing}, {courses: 2, from: {subject: ART, level: "2000+"}}]}
"""
