"""Address verification connectors: the offline sandbox and the USPS Addresses API v3."""
