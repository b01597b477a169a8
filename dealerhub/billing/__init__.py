"""Billing: the product catalogue, prices and invoices (hosted page, PDF, e-mail)."""
