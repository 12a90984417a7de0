"""Database access: the model base, the engine, the tenant scope and the embedded servers."""
