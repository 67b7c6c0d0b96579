"""Transports: one folder per chat service, each translating only (inbound events to
`handlers`, outbound messages from the outbox to the service's API)."""
