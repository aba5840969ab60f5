"""Reading files into located models (YAML with locations, catalogues, transcripts, frameworks,
programmes), databases and Parquet, and writing files atomically."""
