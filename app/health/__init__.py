"""Monthly IT health scores: inputs gathered in SQL, a pure formula, an idempotent upsert."""
