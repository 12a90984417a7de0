"""IT policies: one per kind and tenant, with approval and review dates."""
