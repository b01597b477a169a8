"""Address verification: ``GET /api/verify-address/{address}``."""
