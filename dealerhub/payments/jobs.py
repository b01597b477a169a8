"""Names of the payments area's background jobs. Services enqueue them by these names
(``dealerhub.tasks.enqueue_after_commit``), so they never import ``tasks.py``, which imports
them."""

SETTLE_PAYMENT = "dealerhub.payments.tasks.settle_payment"
SETTLE_REFUND = "dealerhub.payments.tasks.settle_refund"
