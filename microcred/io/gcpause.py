"""Pausing Python's cyclic garbage collector around bulk work.

Reading and checking a catalogue builds large, long-lived object graphs (located YAML trees,
models, compiled rules) and makes little cyclic garbage; every full collection on the way
walks all of them, which on a large catalogue costs about as much as the work itself.
Reference counting still frees everything that is not in a cycle while the collector is
paused.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block; its previous state is restored
    afterwards, whatever happens."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
