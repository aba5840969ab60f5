"""What results and catalogues say beyond one evaluation: plans, pathways, change impact."""
