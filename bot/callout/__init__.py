"""The call-out wing: the rules, the service that applies them to the database, the escalation
ladder, the leader's /activate dialogue and the renderers of every call-out message."""
