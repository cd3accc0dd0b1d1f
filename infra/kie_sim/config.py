"""Simulator switches: start values, and checks for runtime changes."""

DEFAULTS = {
    "api_key": "kie-sim-key",
    "hmac_key": "",  # empty: callbacks are not signed
    "latency_ms": 300,  # create -> terminal state
    "fail_rate": 0.0,  # probability a task ends in `fail`
    "create_fault": None,  # int code the next createTask calls answer with
    "create_fault_count": 1,
    "task_fail_code": "500",
    "task_fail_msg": "Internal server error",
    "duplicate_callbacks": 1,  # how many times each callback is sent
    "no_callback": False,
    "callback_delay_ms": 0,
    "mirror_http_status": False,  # HTTP status = envelope code on api.kie.ai endpoints
    "credits": 10000,
    "result_size_bytes": 0,  # pad result files to about this size
    "public_base_url": "",  # base of generated URLs; empty: the request's host
    # Chaos switches (the soak): each is a probability per call or per task.
    "api_latency_ms": 0,  # added to every api.kie.ai answer
    "create_fault_rate": 0.0,  # createTask answers one of create_fault_codes instead
    "create_fault_codes": "422,429,455,500",
    "slow_create_rate": 0.0,  # createTask creates the task but answers after slow_create_ms
    "slow_create_ms": 0,
    "stall_rate": 0.0,  # the task never finishes (no callback, recordInfo stays "generating")
    "lost_callback_rate": 0.0,  # the callback is not sent
    "duplicate_callback_rate": 0.0,  # the callback is sent twice (on top of duplicate_callbacks)
    # Model discovery (GET /api/v1/models...): calls per second the four endpoints share; 0: no limit.
    "discovery_rps": 1.0,
    "require_json_content_type": True,  # api.kie.ai answers 401 without Content-Type: application/json
    "upload_without_url": False,  # an upload answers success without downloadUrl or fileUrl
}

# Keys whose default (None) does not tell the type.
_TYPES = {"create_fault": int, "credits": float, "discovery_rps": float}
_RATES = ("fail_rate", "create_fault_rate", "slow_create_rate", "stall_rate", "lost_callback_rate",
          "duplicate_callback_rate")


def merged(base, changes):
    """`base` updated with `changes`; ValueError names an unknown key or a bad value."""
    result = dict(base)
    for key, value in changes.items():
        result[key] = coerce(key, value)
    return result


def coerce(key, value):
    if key not in DEFAULTS:
        raise ValueError(f"unknown switch: {key}")
    kind = option_type(key)
    if value is None and key in ("create_fault", "hmac_key", "public_base_url"):
        return None if key == "create_fault" else ""
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be a boolean")
        return value
    try:
        value = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be of type {kind.__name__}") from None
    if key in _RATES and not 0 <= value <= 1:
        raise ValueError(f"{key} must be between 0 and 1")
    if key == "discovery_rps" and value < 0:
        raise ValueError("discovery_rps must not be negative")
    if key == "create_fault_codes":
        try:
            [int(code) for code in value.split(",") if code.strip()]
        except ValueError:
            raise ValueError("create_fault_codes must be comma-separated integers") from None
    return value


def option_type(key):
    if key in _RATES:
        return float
    return _TYPES.get(key) or type(DEFAULTS[key])
