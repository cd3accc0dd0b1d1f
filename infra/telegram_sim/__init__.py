"""A Telegram Bot API simulator: a real HTTP server speaking Telegram's wire format."""
from .client import SimClient
from .server import TelegramSimulator, create_app

__all__ = ["SimClient", "TelegramSimulator", "create_app"]
