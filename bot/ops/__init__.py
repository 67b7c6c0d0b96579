"""Running the bot as a service: health checks and metrics on a small HTTP server of their own,
the heartbeat to an outside monitor, the one line to the leaders after a restart, one writer per
database, replication to a standby through Litestream, and backups that rotate.

`Operations` (bot.ops.runtime) ties them to one running bot; the composition root (bot.app)
starts it after the core and stops it first.
"""
