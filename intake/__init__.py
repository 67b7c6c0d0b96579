"""The alarm intake's HTTP side: the API for the rescue service and SOS Alarm, and a small page
for requesters without an integration. It only translates HTTP to bot.intake and back; it runs
inside the bot's own process and event loop, on its own port (intake.server)."""
