"""The sandbox: the fake Telegram Bot API, `posom demo` and `posom bench`.

Installed and reached only through the CLI's `demo` and `bench` commands (and the tests); the
core never imports it.
"""
