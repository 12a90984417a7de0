"""IT plans and the initiatives in them, valued in business terms."""
