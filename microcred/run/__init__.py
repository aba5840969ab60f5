"""Many learners at once: batch runs, caches, synthetic populations, Dask."""
