"""The Flask app and an in-process server wrapper."""
import threading

from flask import Flask
from werkzeug.serving import make_server

from . import api, control
from .state import SimState


def create_app(sim_state):
    app = Flask(__name__)
    app.json.sort_keys = False  # keep Telegram's field order readable
    app.json.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = None  # our own 413 applies Telegram's per-type limits
    app.extensions["telegram_sim"] = sim_state
    app.register_blueprint(api.bp)
    app.register_blueprint(control.bp)
    return app


class TelegramSimulator:
    """`TelegramSimulator(port=0, token="123456:ABC").start()` serves on a background thread."""

    def __init__(self, host="127.0.0.1", port=0, token="123456:ABC", bot_name="AI Studio",
                 bot_username="ai_studio_sim_bot", first_update_id=1):
        self.host = host
        self.port = port
        self.state = SimState(token, bot_name, bot_username, first_update_id)
        self.app = create_app(self.state)
        self._server = None
        self._thread = None

    @property
    def token(self):
        return self.state.token

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self):
        """What PTB calls base_url + token: {base_url}/bot{token}."""
        return f"{self.base_url}/bot{self.token}"

    def start(self):
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self._server.daemon_threads = True  # long-polls and keep-alive connections must not block exit
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="telegram-sim")
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Shortcuts for in-process tests (the same as the /sim/ endpoints).

    def reset(self, everything=False):
        self.state.reset(everything)

    def configure(self, **changes):
        return self.state.configure(changes)

    def messages(self, chat_id):
        return self.state.chat_messages(chat_id)[0]

    def calls(self, method=None):
        return self.state.call_list(method)
