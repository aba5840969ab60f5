"""Reports and pictures: plain text, HTML, DOT, GraphML, Mermaid, SVG."""
