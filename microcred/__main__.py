"""``python -m microcred``: the command line (:mod:`microcred.cli`), as the ``microcred`` command runs it."""

from microcred.cli import entry

entry()
