"""The audit trail: one event per write, in the write's transaction; insert-only for the app."""
