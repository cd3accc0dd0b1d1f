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
