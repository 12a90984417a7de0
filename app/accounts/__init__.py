"""Accounts: invitations, password resets and ending a user's sessions."""
