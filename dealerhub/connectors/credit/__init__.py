"""Credit bureau connectors: a sandbox bureau and TransUnion (XML over mutual TLS)."""
