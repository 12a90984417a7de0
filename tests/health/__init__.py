"""Health scores: the formula, the batch inputs, scoring and recomputes."""
