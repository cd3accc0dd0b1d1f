"""Telegram's HTML parse_mode: text + entities, with tdlib's error messages."""
import html
import re

SIMPLE_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "code": "code", "pre": "pre",
}
VALID_TAGS = set(SIMPLE_TAGS) | {"a", "span", "tg-emoji", "blockquote"}

# Telegram decodes only these named entities plus numeric ones; any other "&" stays literal.
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_RE = re.compile(r"""\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")


class HtmlError(ValueError):
    """The part after "can't parse entities: " in Telegram's error."""


def utf16_len(text):
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(src, index):
    return len(src[:index].encode("utf-8"))


def _decode_entity(match):
    name = match.group(1)
    if name in _NAMED:
        return _NAMED[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"


def _parse_attrs(src, pos, tag, begin):
    """Read attributes up to '>' and return (attrs, index after '>')."""
    attrs = {}
    while True:
        while pos < len(src) and src[pos].isspace():
            pos += 1
        if pos >= len(src):
            raise HtmlError(f"Unclosed start tag at byte offset {begin}")
        if src[pos] == ">":
            return attrs, pos + 1
        match = _ATTR_RE.match(src, pos)
        if not match or match.end() == pos:
            raise HtmlError(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {begin}"
            )
        value = match.group(2) or ""
        if value[:1] in "\"'":
            value = value[1:-1]
        attrs[match.group(1).lower()] = html.unescape(value)
        pos = match.end()


def _entity_for(tag, attrs, offset, length, begin):
    if tag in SIMPLE_TAGS:
        entity = {"type": SIMPLE_TAGS[tag], "offset": offset, "length": length}
        if tag == "pre" and attrs.get("_language"):
            entity["language"] = attrs["_language"]
        return entity
    if tag == "a":
        url = attrs.get("href", "")
        return {"type": "text_link", "offset": offset, "length": length, "url": url} if url else None
    if tag == "span":
        return {"type": "spoiler", "offset": offset, "length": length}
    if tag == "blockquote":
        kind = "expandable_blockquote" if "expandable" in attrs else "blockquote"
        return {"type": kind, "offset": offset, "length": length}
    if tag == "tg-emoji" and attrs.get("emoji-id"):
        return {"type": "custom_emoji", "offset": offset, "length": length,
                "custom_emoji_id": attrs["emoji-id"]}
    return None


def parse_html(src):
    """Return (plain_text, entities) like Telegram, or raise HtmlError."""
    out, size = [], 0  # size counts UTF-16 code units, the unit of entity offsets
    stack, entities = [], []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch == "&":
            match = _ENTITY_RE.match(src, i)
            piece = _decode_entity(match) if match else "&"
            i = match.end() if match else i + 1
            out.append(piece)
            size += utf16_len(piece)
            continue
        if ch != "<":
            out.append(ch)
            size += utf16_len(ch)
            i += 1
            continue
        begin = _byte_offset(src, i)
        if src.startswith("</", i):
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {begin}")
            end = src.find(">", i)
            if end == -1:
                raise HtmlError(f"Unclosed end tag at byte offset {begin}")
            name = src[i + 2:end].strip().lower()
            tag, attrs, start = stack[-1]
            if name and name != tag:
                raise HtmlError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", found "</{name}>"'
                )
            stack.pop()
            # <pre><code class="language-x"> is one pre entity with a language.
            if tag == "code" and stack and stack[-1][0] == "pre" and attrs.get("class", "").startswith("language-"):
                stack[-1][1]["_language"] = attrs["class"][len("language-"):]
            elif size > start:
                entity = _entity_for(tag, attrs, start, size - start, begin)
                if entity:
                    entities.append(entity)
            i = end + 1
            continue
        end = i + 1
        while end < len(src) and not src[end].isspace() and src[end] != ">":
            end += 1
        if end >= len(src):
            raise HtmlError(f"Unclosed start tag at byte offset {begin}")
        tag = src[i + 1:end].lower()
        if tag not in VALID_TAGS:
            raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        attrs, i = _parse_attrs(src, end, tag, begin)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlError('Tag "span" must have class "tg-spoiler" at byte offset %d' % begin)
        stack.append((tag, attrs, size))
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities
