"""fcio: the backend of a fractional CIO practice."""
