"""The Telegram transport: PTB's Application, Update → chat event, the messenger and the menus.

The only package that imports `telegram`.
"""
