"""Validation of a catalogue: every check, one report."""
