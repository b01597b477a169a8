"""Names of the events area's background jobs. Services enqueue them by these names
(``dealerhub.tasks.enqueue_after_commit``), so they never import ``tasks.py``, which imports
them."""

DELIVER = "dealerhub.events.tasks.deliver"
# "Webhook deliveries are waiting": the worker claims due deliveries from the table in batches.
DRAIN = "dealerhub.events.tasks.drain_deliveries"
APPLY_INBOUND = "dealerhub.events.tasks.apply_inbound"
