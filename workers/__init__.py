"""arq workers: the settings that run them and thin job functions that call app/ actions."""
