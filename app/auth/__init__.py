"""Who is calling: principals, passwords, tokens, API keys and the permission rules."""
