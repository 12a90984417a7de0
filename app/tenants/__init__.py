"""Practices, their client organisations (tenants), users and grants."""
