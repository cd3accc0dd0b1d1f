"""Helpers shared by the Flask blueprints."""
from flask import current_app, request


def sim():
    """The SimState behind the current app."""
    return current_app.extensions["kie_sim"]


def base_url():
    """Origin used in generated URLs: the configured public one, else the request's host."""
    return sim().config["public_base_url"].rstrip("/") or request.host_url.rstrip("/")


def bearer_ok():
    expected = f"Bearer {sim().config['api_key']}"
    return request.headers.get("Authorization", "") == expected


def client_problem():
    """What KIE's hosts do with a request they do not like, as (status, msg), or None: Cloudflare in front of
    them refuses some default user agents (403 "error code: 1010", reported for Python's urllib); api.kie.ai
    answers 401 to a call without `Content-Type: application/json`, GETs included (its Getting Started page).
    Every user agent is counted (/sim/config "userAgents")."""
    agent = request.headers.get("User-Agent", "")
    sim().count_agent(agent)
    if not agent or agent.startswith("Python-urllib"):
        return 403, "error code: 1010"
    return None


def json_content_type():
    return request.mimetype == "application/json"
