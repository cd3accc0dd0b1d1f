"""shared/auth.py: Google-signed OIDC ID tokens of Cloud Tasks / Cloud Scheduler, checked for real.

A throwaway RSA key and self-signed certificate stand in for Google's: the certificates JSON is served
by a local HTTP server (as https://www.googleapis.com/oauth2/v1/certs serves Google's) and tokens are
signed with google-auth's own signer, so the verification path is the one production runs."""
from __future__ import annotations

import datetime
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import flask
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt
from werkzeug.test import EnvironBuilder

from shared import auth

WORKER_URL = "https://generation-worker-123456789012.europe-west1.run.app"
REFRESH_URL = "https://free-tier-refresh-123456789012.europe-west1.run.app"
TASKS_SA = "ais-tasks-invoker@proj.iam.gserviceaccount.com"
SCHEDULER_SA = "ais-scheduler@proj.iam.gserviceaccount.com"
KID = "test-key-1"


def _key_and_cert(common_name: str) -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return pem_key, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def google():
    """A stand-in for Google: its signing key and a local certificates endpoint (counting fetches)."""
    private_key, cert = _key_and_cert("google-test")
    other_key, _ = _key_and_cert("not-google")
    hits = []

    class Certs(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server API)
            hits.append(self.path)
            body = json.dumps({KID: cert}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "public, max-age=600")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Certs)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield SimpleNamespace(certs_url=f"http://127.0.0.1:{server.server_port}/oauth2/v1/certs",
                          signer=crypt.RSASigner.from_string(private_key, key_id=KID),
                          impostor=crypt.RSASigner.from_string(other_key, key_id=KID), hits=hits)
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def no_cached_certs():
    auth._certs_cache.clear()
    yield
    auth._certs_cache.clear()


def mint(google, audience: str, email: str = TASKS_SA, *, verified: bool = True, expires_in: int = 3600,
         issuer: str = "https://accounts.google.com", signer=None) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "sub": "1234567890", "azp": "1234567890", "email": email,
              "email_verified": verified, "iat": min(now, now + expires_in - 60), "exp": now + expires_in}
    return jwt.encode(signer or google.signer, claims).decode()


def request_to(url: str, token: str | None = None, path: str = "/") -> flask.Request:
    headers = {"X-Forwarded-Proto": "https"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return flask.Request(EnvironBuilder(method="POST", base_url=url.replace("https://", "http://"), path=path,
                                        headers=headers, json={"job_id": "j", "kind": "start"}).get_environ())


def settings(*invokers: str) -> SimpleNamespace:
    return SimpleNamespace(expected_invokers=list(invokers), worker_url=WORKER_URL + "/")


def allowed(google, request: flask.Request, *invokers: str) -> bool:
    return auth.caller_allowed(request, settings(*invokers), certs_url=google.certs_url)


# --- the worker (Cloud Tasks) --------------------------------------------------------------------------
def test_valid_token_of_an_expected_invoker_for_the_worker_passes(google):
    request = request_to(WORKER_URL, mint(google, WORKER_URL + "/"))
    assert auth.verify_oidc(request, WORKER_URL, [TASKS_SA], certs_url=google.certs_url) == TASKS_SA
    assert allowed(google, request, TASKS_SA)


def test_wrong_audience_is_refused(google):
    assert not allowed(google, request_to(WORKER_URL, mint(google, REFRESH_URL)), TASKS_SA)
    assert not allowed(google, request_to(WORKER_URL, mint(google, "https://evil.example")), TASKS_SA)


def test_wrong_email_is_refused(google):
    token = mint(google, WORKER_URL, email="someone-else@proj.iam.gserviceaccount.com")
    assert not allowed(google, request_to(WORKER_URL, token), TASKS_SA)
    # A scheduler token is not a tasks token: each function names its own invokers.
    assert not allowed(google, request_to(WORKER_URL, mint(google, WORKER_URL, email=SCHEDULER_SA)), TASKS_SA)


def test_unverified_email_is_refused(google):
    assert not allowed(google, request_to(WORKER_URL, mint(google, WORKER_URL, verified=False)), TASKS_SA)


def test_expired_token_is_refused(google):
    assert not allowed(google, request_to(WORKER_URL, mint(google, WORKER_URL, expires_in=-600)), TASKS_SA)


def test_missing_or_malformed_header_is_refused(google):
    assert not allowed(google, request_to(WORKER_URL), TASKS_SA)
    for header in ("Basic abc", "Bearer", "Bearer not-a-jwt", mint(google, WORKER_URL)):
        request = flask.Request(EnvironBuilder(base_url="http://" + WORKER_URL.split("://")[1],
                                               headers={"Authorization": header}).get_environ())
        assert not allowed(google, request, TASKS_SA), header


def test_foreign_signature_and_wrong_issuer_are_refused(google):
    assert not allowed(google, request_to(WORKER_URL, mint(google, WORKER_URL, signer=google.impostor)), TASKS_SA)
    assert not allowed(google, request_to(WORKER_URL, mint(google, WORKER_URL, issuer="https://evil.example")),
                       TASKS_SA)


# --- scheduled functions: the audience is the URL they were called at ---------------------------------
def test_scheduled_function_accepts_a_token_for_its_own_url(google):
    for audience in (REFRESH_URL, REFRESH_URL + "/"):
        assert allowed(google, request_to(REFRESH_URL, mint(google, audience, email=SCHEDULER_SA)), SCHEDULER_SA)


def test_scheduled_function_refuses_a_token_minted_for_another_function(google):
    replayed = mint(google, WORKER_URL, email=SCHEDULER_SA)
    assert not allowed(google, request_to(REFRESH_URL, replayed), SCHEDULER_SA)


def test_called_url_uses_the_forwarded_scheme_and_the_path():
    request = request_to(REFRESH_URL, path="/run")
    assert auth.called_url(request) == REFRESH_URL + "/run"
    assert auth.expected_audiences(request, settings()) == [REFRESH_URL + "/run"]
    assert auth.expected_audiences(request_to(WORKER_URL), settings()) == [WORKER_URL]


# --- local/dev and plumbing ---------------------------------------------------------------------------
def test_without_expected_invokers_everything_passes(google):
    assert allowed(google, request_to(WORKER_URL))
    assert allowed(google, request_to(WORKER_URL, "garbage"))
    assert allowed(google, request_to(REFRESH_URL, mint(google, "https://anything.example")))


def test_an_empty_audience_never_disables_the_check(google):
    token = mint(google, WORKER_URL)
    assert auth.verify_oidc(request_to(WORKER_URL, token), [], [TASKS_SA], certs_url=google.certs_url) is None
    assert auth.verify_oidc(request_to(WORKER_URL, token), WORKER_URL, [], certs_url=google.certs_url) is None


def test_certificates_are_fetched_once_and_cached(google):
    before = len(google.hits)
    for _ in range(3):
        assert allowed(google, request_to(WORKER_URL, mint(google, WORKER_URL)), TASKS_SA)
    assert len(google.hits) == before + 1


def test_unreachable_certificates_refuse_instead_of_crashing(google):
    request = request_to(WORKER_URL, mint(google, WORKER_URL))
    assert not auth.caller_allowed(request, settings(TASKS_SA), certs_url="http://127.0.0.1:9/certs")


def test_expected_invokers_setting_is_a_csv_list(monkeypatch):
    from shared.config import load_settings

    monkeypatch.setenv("EXPECTED_INVOKERS", f" {TASKS_SA}, {SCHEDULER_SA} ,")
    s = load_settings(telegram_bot_token="1:x", telegram_webhook_secret="s", kie_api_key="k", gcp_project="p",
                      worker_url="http://w/", callback_url="http://c/")
    assert s.expected_invokers == [TASKS_SA, SCHEDULER_SA]


@pytest.mark.parametrize("module, target", [("functions.generation_worker", "generation_worker"),
                                            ("functions.free_tier_refresh", "free_tier_refresh")])
def test_targets_answer_403_to_an_unexpected_caller(monkeypatch, google, module, target):
    import importlib

    mod = importlib.import_module(module)
    monkeypatch.setattr(mod, "container", lambda: SimpleNamespace(settings=settings(TASKS_SA, SCHEDULER_SA)))
    monkeypatch.setattr(auth, "GOOGLE_CERTS_URL", google.certs_url)  # the targets use the default
    url = WORKER_URL if target == "generation_worker" else REFRESH_URL
    assert getattr(mod, target)(request_to(url)) == ("forbidden", 403)
    assert getattr(mod, target)(request_to(url, mint(google, "https://other.example"))) == ("forbidden", 403)
