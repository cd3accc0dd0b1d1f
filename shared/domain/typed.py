"""What a typed message means before it is taken as a value: a word that cancels, small talk that must not
become a prompt. Pure rules on the text (the wizard applies them: shared/telegram/wizard.py)."""
from __future__ import annotations

CANCEL_WORDS = frozenset({"отмена", "отменить", "стоп", "хватит", "cancel", "stop"})
# Words people type to the bot itself, not as a description of a picture or a video.
SMALL_TALK = frozenset({"ок", "окей", "ok", "okay", "да", "нет", "yes", "no", "привет", "здравствуйте", "hi",
                        "hello", "hey", "спасибо", "thanks", "thank you", "помощь", "help", "меню", "menu", "?"})


def _word(text: str) -> str:
    return " ".join(text.lower().strip(" \t\n.!?,…").split())


def cancels(text: str) -> bool:
    return _word(text) in CANCEL_WORDS


def too_short_for_a_prompt(text: str) -> bool:
    """A lone greeting or acknowledgement, or under 2 letters: not a description."""
    word = _word(text)
    return word in SMALL_TALK or text.strip() in SMALL_TALK or len(word) < 2
