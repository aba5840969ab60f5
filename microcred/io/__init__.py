"""Reading files into located models and writing files atomically."""
