"""Monthly steering meetings with the client's functional leaders, and their action items."""
