"""A simulated Telegram user for end-to-end tests, speaking to the Telegram simulator's control API."""
from __future__ import annotations

import time
from typing import Any, Callable

from infra.telegram_sim.client import SimClient

Record = dict[str, Any]


def buttons(record: Record) -> list[tuple[str, str]]:
    markup = record["message"].get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


def text_of(record: Record) -> str:
    message = record["message"]
    return message.get("text") or message.get("caption") or ""


class TgUser:
    def __init__(self, sim_url: str, user_id: int, lang: str = "ru", first_name: str = "Тест"):
        self.sim = SimClient(sim_url)
        self.id = user_id
        self.lang = lang
        self.first_name = first_name

    def send(self, text: str) -> dict:
        result = self.sim.send_text(self.id, text, language_code=self.lang, first_name=self.first_name)
        assert result["webhook_status"] == 200, result
        return result

    def bot_messages(self) -> list[Record]:
        return [r for r in self.sim.messages(self.id)["messages"] if r["from_bot"] and not r["deleted"]]

    def last(self) -> Record:
        return self.bot_messages()[-1]

    def last_text(self) -> str:
        return text_of(self.last())

    def press(self, label: str) -> dict:
        """Press the newest button whose text contains `label`."""
        for record in reversed(self.bot_messages()):
            for text, _ in buttons(record):
                if label in text:
                    result = self.sim.press(self.id, record["message_id"], button_text=text)
                    assert result["webhook_status"] == 200, result
                    return result
        raise AssertionError(f"no button with {label!r}; last message: {text_of(self.last())!r} {buttons(self.last())}")

    def press_data(self, data: str) -> dict:
        record = self.last()
        return self.sim.press(self.id, record["message_id"], data=data)

    def wait_for(self, predicate: Callable[[Record], bool], timeout: float = 30.0) -> Record:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in reversed(self.bot_messages()):
                if predicate(record):
                    return record
            self.sim.wait(self.id, timeout=1.0)
        raise AssertionError(f"timed out; bot said: {[text_of(r)[:80] for r in self.bot_messages()[-4:]]}")
