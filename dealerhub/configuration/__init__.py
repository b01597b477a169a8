"""Dealer configuration: integration credentials, TransUnion client certificates, audit trail."""
