"""The technology lifecycle: a client's hardware and software, and when each must be replaced."""
