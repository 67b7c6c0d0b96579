"""The POSOM call-out bot's core: the call-out, debrief, records, people and delivery wings, plus
config, i18n and the wiring (app, services, cli).

The core talks to people at addresses (storage.models.Address) through transport-neutral
messages; no module here imports a chat service's library.
"""
