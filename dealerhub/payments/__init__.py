"""Stripe-style payments: payment methods, setup and payment intents, charges, refunds,
bank accounts and connected accounts."""
