"""Names of the billing area's background jobs: services enqueue them by name
(``dealerhub.tasks.enqueue_after_commit``) and never import ``tasks.py``, which imports them."""

SEND_INVOICE_EMAIL = "dealerhub.billing.tasks.send_invoice_email"
