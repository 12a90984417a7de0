"""The tenant's IT vendors."""
