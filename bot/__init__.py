"""The POSOM call-out bot's core: config, rules, call-out service, i18n and the CLI.

Only `bot.app` (the composition root) imports Telegram; everything else is plain Python.
"""
