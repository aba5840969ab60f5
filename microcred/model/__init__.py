"""The data: catalogue, results, diagnostics, dates, the stacking graph; pure values, no I/O."""
