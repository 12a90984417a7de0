"""The monthly executive report: gathered once (`gather`), rendered as HTML, PDF and PPTX, delivered by mail."""
