"""DMS area: leads (JSON and ADF), deals, and the jobs that sync them to the dealer's DMS."""
