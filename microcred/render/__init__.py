"""Reports and pictures: the advisor's report in plain text and HTML, pictures of the stacking graph
(DOT, GraphML, Mermaid, SVG), the metrics of a population as tables and a dashboard."""
