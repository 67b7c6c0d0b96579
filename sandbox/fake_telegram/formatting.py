"""Telegram's text rules: parse_mode parsing into visible text + entities, and its refusals."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.fake_telegram.models import ApiError

__all__ = ["parse_text", "utf16_len"]

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_HTML_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR = re.compile(r"""([A-Za-z][\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_V2_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline",
             "strikethrough": "Strikethrough", "spoiler": "Spoiler", "text_link": "TextUrl"}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram's entity offsets use."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _bad(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {message}")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


@dataclass
class _Builder:
    """Collects visible text and entities while a parser walks the source."""

    chunks: list[str] = field(default_factory=list)
    pos: int = 0
    entities: list[dict[str, Any]] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text:
            self.chunks.append(text)
            self.pos += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.pos > start:
            self.entities.append({"type": kind, "offset": start, "length": self.pos - start,
                                  **{k: v for k, v in extra.items() if v is not None}})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        return _trim("".join(self.chunks), self.entities)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strips surrounding whitespace as Telegram does, clipping entities to what is left."""
    stripped = text.strip()
    if stripped == text:
        return text, sorted(entities, key=lambda e: (e["offset"], -e["length"]))
    lead = len(text) - len(text.lstrip())
    end = lead + utf16_len(stripped)
    clipped = []
    for e in entities:
        start, stop = max(e["offset"], lead), min(e["offset"] + e["length"], end)
        if stop > start:
            clipped.append({**e, "offset": start - lead, "length": stop - start})
    return stripped, sorted(clipped, key=lambda e: (e["offset"], -e["length"]))


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Visible text and entities for `text` under `parse_mode`; raises ApiError like Telegram."""
    mode = (parse_mode or "").lower()
    if not mode:
        return _trim(text, [])
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown(text)
    raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, dict[str, str]]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "<":
            closing = text.startswith("</", i)
            j = i + (2 if closing else 1)
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            end = text.find(">", j)
            if end < 0:
                which = "end" if closing else "start"
                raise _bad(f"Unclosed {which} tag at byte offset {_byte_offset(text, i)}")
            name = text[i + (2 if closing else 1):j].lower()
            if not closing and name not in _HTML_TAGS:
                raise _bad(f'Unsupported start tag "{name}" at byte offset '
                           f"{_byte_offset(text, i)}")
            if closing:
                if not stack:
                    raise _bad(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
                open_name, start, attrs = stack[-1]
                if name != open_name:
                    raise _bad(f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                               f'expected "</{open_name}>", found "</{name}>"')
                stack.pop()
                kind = _HTML_TAGS[open_name]
                if kind == "text_link":
                    out.entity(kind, start, url=attrs.get("href", ""))
                elif kind == "pre":
                    out.entity(kind, start, language=attrs.get("language"))
                elif kind == "custom_emoji":
                    out.entity(kind, start, custom_emoji_id=attrs.get("emoji-id"))
                elif kind == "blockquote" and "expandable" in attrs:
                    out.entity("expandable_blockquote", start)
                else:
                    out.entity(kind, start)
            else:
                rest = text[j:end]
                attrs = {m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4)
                                                          or "") for m in _ATTR.finditer(rest)}
                if re.search(r"(^|\s)expandable(\s|$)", rest):
                    attrs["expandable"] = ""
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise _bad(f'Tag "span" must have class "tg-spoiler" at byte offset '
                               f"{_byte_offset(text, i)}")
                if name == "code" and stack and stack[-1][0] == "pre":
                    language = attrs.get("class", "").removeprefix("language-") or None
                    if language:
                        open_name, start, pre_attrs = stack[-1]
                        stack[-1] = (open_name, start, {**pre_attrs, "language": language})
                stack.append((name, out.pos, attrs))
            i = end + 1
        elif ch == "&":
            match = _HTML_ENTITY.match(text, i)
            if match:
                ref = match.group(1)
                if ref in _NAMED:
                    out.add(_NAMED[ref])
                else:
                    code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
                    out.add(chr(code) if 0 < code <= 0x10FFFF else "\ufffd")
                i = match.end()
            else:
                out.add("&")
                i += 1
        else:
            j = i + 1
            while j < n and text[j] not in "<&":
                j += 1
            out.add(text[i:j])
            i = j
    if stack:
        raise _bad(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    # entities inside <pre><code>: the inner code entity is folded into pre, as Telegram does
    out.entities = [e for e in out.entities if not (
        e["type"] == "code" and any(p["type"] == "pre" and p["offset"] == e["offset"]
                                    and p["length"] == e["length"] for p in out.entities))]
    return out.result()


def _find_unescaped(text: str, needle: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(needle, i):
            return i
        i += 1
    return -1


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # kind, visible start, source index
    i, n = 0, len(text)
    line_start = True
    quote_start: int | None = None
    while i < n:
        ch = text[i]
        if ch == "\\":
            if i + 1 < n and 0 < ord(text[i + 1]) < 127:
                out.add(text[i + 1])
                i += 2
            else:
                out.add(ch)
                i += 1
            line_start = False
            continue
        if ch == "`":
            fence = "```" if text.startswith("```", i) else "`"
            close = _find_unescaped(text, fence, i + len(fence))
            if close < 0:
                kind = "Pre" if fence == "```" else "Code"
                raise _bad(f"Can't find end of {kind} entity at byte offset "
                           f"{_byte_offset(text, i)}")
            body = re.sub(r"\\(.)", r"\1", text[i + len(fence):close], flags=re.S)
            language = None
            if fence == "```":
                first, sep, remainder = body.partition("\n")
                if sep and first and " " not in first:
                    language, body = first, remainder
            start = out.pos
            out.add(body)
            out.entity("pre" if fence == "```" else "code", start, language=language)
            i = close + len(fence)
            line_start = False
            continue
        marker = None
        if text.startswith("||", i):
            marker = ("spoiler", 2)
        elif text.startswith("__", i):
            marker = ("underline", 2)
        elif ch == "*":
            marker = ("bold", 1)
        elif ch == "_":
            marker = ("italic", 1)
        elif ch == "~":
            marker = ("strikethrough", 1)
        if marker:
            kind, width = marker
            if stack and stack[-1][0] == kind:
                _, start, _ = stack.pop()
                out.entity(kind, start)
            else:
                stack.append((kind, out.pos, i))
            i += width
            line_start = False
            continue
        if ch == "[":
            stack.append(("text_link", out.pos, i))
            i += 1
            line_start = False
            continue
        if ch == "]" and stack and stack[-1][0] == "text_link" and text.startswith("](", i):
            close = _find_unescaped(text, ")", i + 2)
            if close < 0:
                raise _bad(f"Can't find end of a url at byte offset {_byte_offset(text, i + 1)}")
            _, start, _ = stack.pop()
            out.entity("text_link", start, url=re.sub(r"\\(.)", r"\1", text[i + 2:close]))
            i = close + 1
            line_start = False
            continue
        if ch == ">" and line_start:
            if quote_start is None:
                quote_start = out.pos
            i += 1
            line_start = False
            continue
        if ch == "\n" and quote_start is not None and not text.startswith(">", i + 1):
            out.entity("blockquote", quote_start)
            quote_start = None
        if ch in _V2_RESERVED:
            raise _bad(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        j = i + 1
        while j < n and text[j] not in _V2_RESERVED and text[j] not in "\\\n":
            j += 1
        if ch == "\n":
            j = i + 1
        out.add(text[i:j])
        line_start = ch == "\n"
        i = j
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        kind, _, index = stack[-1]
        raise _bad(f"Can't find end of {_V2_NAMES[kind]} entity at byte offset "
                   f"{_byte_offset(text, index)}")
    return out.result()


def _parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    i, n = 0, len(text)
    pairs = {"*": "bold", "_": "italic"}
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
        elif ch in pairs or ch == "`":
            fence = "```" if text.startswith("```", i) else ch
            close = text.find(fence, i + len(fence))
            if close < 0:
                raise _bad(f"Can't find end of the entity starting at byte offset "
                           f"{_byte_offset(text, i)}")
            start = out.pos
            out.add(text[i + len(fence):close])
            out.entity(pairs.get(ch, "pre" if fence == "```" else "code"), start)
            i = close + len(fence)
        elif ch == "[":
            close = text.find("]", i + 1)
            if close < 0:
                raise _bad(f"Can't find end of the entity starting at byte offset "
                           f"{_byte_offset(text, i)}")
            start = out.pos
            out.add(text[i + 1:close])
            if text.startswith("(", close + 1) and (end := text.find(")", close + 2)) >= 0:
                out.entity("text_link", start, url=text[close + 2:end])
                i = end + 1
            else:
                i = close + 1
        else:
            j = i + 1
            while j < n and text[j] not in "\\*_`[":
                j += 1
            out.add(text[i:j])
            i = j
    return out.result()
