"""Outgoing e-mail: SMTP when ``DEALERHUB_SMTP_URL`` is set, else ``.eml`` files."""
