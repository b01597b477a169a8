"""DMS connectors: the Protocol and DTOs in ``base``, a sandbox and DealerTrack OpenTrack."""
