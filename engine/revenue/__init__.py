"""Revenue analytics from Stripe: MRR and its movements, churn, ARPA, LTV and CAC.

Stripe events are stored as they arrive (file, API pull, webhook); each subscription event
is parsed once into a `SubscriptionState`, and every customer's MRR movements are kept in a
table at ingest, so a 24-month MRR series is a few aggregate queries, not an event replay.
"""
