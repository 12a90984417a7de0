"""Standards: the practice's best-practice library, and reviews of a client against it."""
