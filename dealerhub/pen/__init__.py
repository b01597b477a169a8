"""PEN dealer registration: ``POST /set-dealer`` and the dealer's stored PEN registration."""
