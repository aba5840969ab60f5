"""Credential types and grade scales, a folder by concept: the models (``models.py``, ``grades.py``)
sit in the model layer and the checks that depend on the taxonomy (``checks.py``) in the checks
layer; see docs/architecture.md."""
