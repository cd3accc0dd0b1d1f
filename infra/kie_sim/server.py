"""The Flask app and an in-process server wrapper."""
import threading

import httpx
from flask import Flask
from werkzeug.serving import make_server

from . import api, control, discovery, uploads
from .state import SimState


def create_app(config=None, state=None):
    """Flask app speaking KIE's wire format; `config` holds start switches (see config.DEFAULTS)."""
    app = Flask(__name__)
    app.extensions["kie_sim"] = state or SimState(config)
    for blueprint in (api.bp, discovery.bp, discovery.feed, uploads.bp, control.bp):
        app.register_blueprint(blueprint)
    return app


class KieSimulator:
    """`KieSimulator(port=0, **switches).start()` serves on a background thread."""

    def __init__(self, host="127.0.0.1", port=0, **options):
        self.host = host
        self.port = port
        self.state = SimState(options)
        self.app = create_app(state=self.state)
        self._server = None
        self._thread = None

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def api_key(self):
        return self.state.config["api_key"]

    def start(self):
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self._server.daemon_threads = True  # open keep-alive connections must not block exit
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.state.close()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # Shortcuts over the /sim endpoints, for in-process tests.

    def configure(self, **changes):
        return self.state.configure(changes)

    def set_outcomes(self, *outcomes):
        self.state.set_outcomes(list(outcomes))

    def reset(self):
        self.state.reset()

    def complete(self, task_id, outcome=None):
        self.state.finish_task(task_id, outcome)
        return self.state.record(task_id)

    def tasks(self):
        return self.state.task_list()

    def ledger(self):
        return self.state.ledger()

    def callbacks(self):
        return self.state.callback_list()

    def drift(self, **changes):
        return self.state.set_drift(changes)

    def client(self, **kwargs):
        """An httpx.Client pointed at the simulator with the API key set, sending JSON's content type where
        a request has none (GETs: KIE wants it), as KIE's own clients must."""
        headers = {"Authorization": f"Bearer {self.api_key}", "User-Agent": "kie-sim-test"}
        return httpx.Client(base_url=self.base_url, headers=headers, event_hooks={"request": [_json_type]}, **kwargs)


def _json_type(request):
    request.headers.setdefault("Content-Type", "application/json")
