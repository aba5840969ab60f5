"""JSON Schemas of microcred's file formats, for editors that validate as one types."""

from __future__ import annotations

from typing import Any

from microcred.model.catalog import CatalogFile


def catalogue_schema() -> dict[str, Any]:
    """The JSON Schema of one catalogue file."""
    schema = CatalogFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "microcred catalogue file"
    schema["description"] = (
        "One file of a microcred catalogue: any of the sections catalog, taxonomy, courses, "
        "credentials, frameworks, recognition. Sections from several files merge."
    )
    return schema
