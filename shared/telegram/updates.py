"""What an update says, read from python-telegram-bot's objects into plain values for the use cases."""
from __future__ import annotations

from telegram import Message, Update

from shared.domain.media import IncomingFile
from shared.domain.users import Profile


def profile(update: Update) -> Profile:
    tg, chat = update.effective_user, update.effective_chat
    return Profile(user_id=tg.id, chat_id=chat.id if chat else tg.id, username=tg.username,
                   first_name=tg.first_name, language_code=tg.language_code)


def start_payload(update: Update, args: list[str] | None) -> str | None:
    """The payload of `/start <payload>` (an invite link's `ref_<code>`), or None."""
    text = update.effective_message.text if update.effective_message else None
    return args[0] if args and text and text.startswith("/start") else None


def incoming_file(message: Message) -> IncomingFile | None:
    """The file in a message as Telegram describes it: enough to refuse early, never to price."""
    group = message.media_group_id
    if message.photo:
        p = message.photo[-1]  # the largest size
        return IncomingFile("image", p.file_id, "image/jpeg", p.file_size, group)
    if message.voice:
        v = message.voice
        return IncomingFile("audio", v.file_id, v.mime_type or "audio/ogg", v.file_size, group)
    if message.audio:
        a = message.audio
        return IncomingFile("audio", a.file_id, a.mime_type or "audio/mpeg", a.file_size, group)
    if message.video:
        v = message.video
        return IncomingFile("video", v.file_id, v.mime_type or "video/mp4", v.file_size, group)
    if message.document:
        d = message.document
        mime = (d.mime_type or "application/octet-stream").lower()
        kind = next((k for k in ("image", "audio", "video") if mime.startswith(k + "/")), "other")
        return IncomingFile(kind, d.file_id, mime, d.file_size, group)
    return None


def text_of(update: Update) -> str:
    return (update.effective_message.text if update.effective_message else None) or ""
