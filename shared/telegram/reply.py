"""The one way handlers answer: a finished screen edited into the message its button belongs to, or sent as a
new message; files, photos and invoices. Every text is HTML (shared/ui/ escapes the values it fills in)."""
from __future__ import annotations

import io

from telegram import InputFile, LabeledPrice, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from shared.clients.telegram import markup
from shared.domain.screen import Screen


async def show(update: Update, screen: Screen) -> int:
    """Edit the text message a pressed button belongs to; otherwise send a new one. The message's id.
    A message with a photo, video, file or audio (a result) is never edited into text: it stays as it is and
    the screen comes as a new message."""
    query = update.callback_query
    if query and query.message and query.message.text and not _has_media(query.message):
        try:
            await query.edit_message_text(screen.text, parse_mode=ParseMode.HTML, reply_markup=markup(screen.buttons))
        except BadRequest as err:
            problem = str(err).lower()
            if "no text in the message" in problem:  # a media message after all: leave it alone
                return await send(update, screen)
            if "not modified" not in problem:
                raise
        return query.message.message_id
    return await send(update, screen)


def _has_media(message) -> bool:
    return bool(getattr(message, "effective_attachment", None) or message.caption is not None)


async def send(update: Update, screen: Screen) -> int:
    """A new message in the update's chat; its id."""
    message = await update.effective_chat.send_message(screen.text, parse_mode=ParseMode.HTML,
                                                       reply_markup=markup(screen.buttons))
    return message.message_id


async def document(update: Update, data: bytes, filename: str, caption: str) -> None:
    await update.effective_chat.send_document(InputFile(io.BytesIO(data), filename), caption=caption)


async def photo(update: Update, png: bytes, filename: str) -> None:
    await update.effective_chat.send_photo(InputFile(io.BytesIO(png), filename))


async def invoice(update: Update, title: str, description: str, payload: str, label: str, stars: int) -> None:
    """A Telegram Stars invoice (currency XTR)."""
    await update.effective_chat.send_invoice(title=title, description=description, payload=payload, currency="XTR",
                                             prices=[LabeledPrice(label, stars)])
