"""Telegram adapters: each turns an Update into one call on the core and sends what it returns.

No SQL and no call-out rules live here; `bot.app` registers the handlers in one ordered list.
"""
