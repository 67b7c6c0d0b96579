"""Transport-neutral chat handlers: a chat event in, one call on the core, a reply out.

What a command means, who may use it, its argument grammar and every string a person reads of
it live here (handlers.chat is the one entry point); no SQL, no call-out rules, and nothing of
any transport.
"""
