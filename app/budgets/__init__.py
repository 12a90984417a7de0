"""IT budgets by fiscal year: planned lines and actual spend by month."""
