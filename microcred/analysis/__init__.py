"""What results and catalogues say beyond one evaluation: plans, pathways, skill gaps, change impact
(the semantic diff), metrics of a population."""
