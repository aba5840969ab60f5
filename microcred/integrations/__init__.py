"""Adapters between microcred and other systems. Each module imports its third-party
library itself, so ``import microcred`` never needs them:

- :mod:`microcred.run.dask` — evaluate learner populations on a Dask cluster
  (``pip install 'microcred[dask]'``).
"""
