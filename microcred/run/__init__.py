"""Many learners at once: batch runs, nightly runs from and to a database, change impact over a
population, the one worker pool, the compiled-catalogue cache, synthetic populations, Dask."""
