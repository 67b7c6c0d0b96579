"""Delivery: neutral messages to people at addresses, the outbox written inside state changes,
the sender that drains it, and the router that hands each message to its transport."""
