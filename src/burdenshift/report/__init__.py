"""Reports: stored runs → figures → one self-contained HTML page (and Markdown, PNG)."""
