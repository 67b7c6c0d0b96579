"""The parameters each JSON-RPC method of the fake takes, and how they are checked.

signal-cli maps `params` onto its command-line options (cmd/JsonRpcNamespace.java): camelCase
keys, a list option `x` also accepts a single value or the plural `xs`, values are cast and not
converted (a string where a number belongs is a ClassCastException, -32603), and a missing
required value is a NullPointerException (-32603). The real daemon silently ignores unknown
keys; the fake refuses them (-32602), because an ignored misspelt key is a bug in the bot.
"""

from __future__ import annotations

from typing import Any, Literal

from sandbox.fake_signal.models import RpcError

__all__ = ["METHODS", "MULTI_ACCOUNT_ONLY", "TYPED_METHODS", "checked_params", "listed"]

Kind = Literal["str", "long", "int", "bool", "double", "str_list", "long_list"]

_RECIPIENTS: dict[str, Kind] = {"recipient": "str_list", "recipients": "str_list"}

METHODS: dict[str, dict[str, Kind]] = {
    "send": {
        **_RECIPIENTS, "groupId": "str_list", "groupIds": "str_list", "username": "str_list",
        "usernames": "str_list", "noteToSelf": "bool", "notifySelf": "bool", "message": "str",
        "attachment": "str_list", "attachments": "str_list", "viewOnce": "bool",
        "voiceNote": "bool", "mention": "str_list", "mentions": "str_list",
        "textStyle": "str_list", "textStyles": "str_list", "quoteTimestamp": "long",
        "quoteAuthor": "str", "quoteMessage": "str", "sticker": "str", "previewUrl": "str",
        "previewTitle": "str", "previewDescription": "str", "previewImage": "str",
        "storyTimestamp": "long", "storyAuthor": "str", "editTimestamp": "long",
        "noUrgent": "bool", "endSession": "bool",
    },
    "sendReaction": {**_RECIPIENTS, "emoji": "str", "targetAuthor": "str",
                     "targetTimestamp": "long", "remove": "bool", "notifySelf": "bool",
                     "story": "bool", "noteToSelf": "bool"},
    "remoteDelete": {**_RECIPIENTS, "targetTimestamp": "long", "noteToSelf": "bool"},
    # sendReceipt reads its recipient with getString: one recipient, never a list.
    "sendReceipt": {"recipient": "str", "targetTimestamp": "long_list",
                    "targetTimestamps": "long_list", "type": "str"},
    "sendTyping": {**_RECIPIENTS, "stop": "bool"},
    "listContacts": {**_RECIPIENTS, "allRecipients": "bool", "blocked": "bool", "name": "str",
                     "internal": "bool"},
    "getUserStatus": {**_RECIPIENTS, "username": "str_list", "usernames": "str_list"},
    "version": {},
    "trust": {"recipient": "str", "trustAllKnownKeys": "bool", "verifiedSafetyNumber": "str"},
    "listIdentities": {"number": "str"},
    "updateContact": {"recipient": "str", "expiration": "int", "name": "str",
                      "givenName": "str", "familyName": "str", "nickGivenName": "str",
                      "nickFamilyName": "str", "note": "str"},
    "updateProfile": {"givenName": "str", "familyName": "str", "about": "str",
                      "aboutEmoji": "str", "avatar": "str", "removeAvatar": "bool"},
    "listAccounts": {},
    "receive": {"timeout": "double", "maxMessages": "int"},
}
# Commands whose params are a typed record: an unknown key is a mapping error (-32600).
TYPED_METHODS = frozenset({"receive"})
# Single-account mode: these exist only when the daemon runs without -a (-32601 otherwise).
MULTI_ACCOUNT_ONLY = frozenset({"listAccounts", "register", "verify", "startLink",
                                "finishLink"})

_JAVA = {"str": "java.lang.String", "long": "java.lang.Long", "int": "java.lang.Integer",
         "bool": "java.lang.Boolean", "double": "java.lang.Double"}


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Long" if abs(value) > 2**31 - 1 else "java.lang.Integer"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, list):
        return "java.util.ArrayList"
    return "java.util.LinkedHashMap"


def _cast_error(value: Any, kind: str) -> RpcError:
    return RpcError(-32603, f"class {_type_of(value)} cannot be cast to class {_JAVA[kind]} "
                            "(ClassCastException)")


def _check_one(value: Any, kind: str) -> None:
    if kind == "str" and not isinstance(value, str):
        raise _cast_error(value, "str")
    if kind == "bool" and not isinstance(value, bool):
        raise _cast_error(value, "bool")
    if kind == "long" and (isinstance(value, bool) or not isinstance(value, int)
                           or abs(value) <= 2**31 - 1):
        # Jackson reads a small number as an Integer, and (Long) of an Integer fails too: a
        # timestamp in seconds instead of milliseconds is refused like this.
        raise _cast_error(value, "long")
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise _cast_error(value, "int")
    if kind == "double" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _cast_error(value, "double")


def checked_params(method: str, params: Any, *, strict: bool) -> dict[str, Any]:
    """The params of a request, checked as signal-cli would read them; raises RpcError."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        # An array cannot be mapped onto the command's params map.
        raise RpcError(-32600, "Cannot deserialize value of type `java.util.Map` from Array "
                               "value")
    spec = METHODS[method]
    for key, value in params.items():
        kind = spec.get(key)
        if kind is None:
            if method in TYPED_METHODS:
                raise RpcError(-32600, f'Unrecognized field "{key}"')
            if strict:
                raise RpcError(-32602, f"unknown parameter {key!r} for {method} (signal-cli "
                                       "would silently ignore it)")
            continue
        if value is None:
            continue
        if kind in ("str_list", "long_list"):
            single = kind.removesuffix("_list")
            for item in value if isinstance(value, list) else [value]:
                _check_one(item, single)
        else:
            _check_one(value, kind)
    return params


def listed(params: dict[str, Any], name: str) -> list[Any]:
    """A list option as JsonRpcNamespace.getList reads it: `x` (one or a list), else `xs`."""
    value = params.get(name)
    if value is None:
        value = params.get(name + "s")
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
