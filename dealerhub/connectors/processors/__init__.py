"""Card and bank-debit processors. ``sandbox`` serves test mode; the real gateways
(BlueDog, Hubcash, Forward, MiCamp) implement the same ``PaymentProcessor`` Protocol."""
