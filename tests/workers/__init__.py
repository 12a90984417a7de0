"""The arq workers, against a real Redis and real worker processes."""
