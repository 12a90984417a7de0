"""The GraphQL API (strawberry): one module per business area, composed in `schema.py`."""
