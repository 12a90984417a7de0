"""Business goals per client and fiscal year, with a KPI (initiatives serve them), and the strategy profile."""
