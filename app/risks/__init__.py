"""The risk register."""
