"""Credit checks: consent-gated bureau pulls with masked views, audit and retention."""
