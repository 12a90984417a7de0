"""Outgoing mail: the SMTP server from `FCIO_SMTP_URL`, one sender, and the development server."""
