"""Test-only endpoints: /sim/* switches and inspection, and the served files."""
from flask import Blueprint, Response, abort, jsonify, request

from .state import TERMINAL, TaskFinished, TaskNotFound
from .web import sim

bp = Blueprint("kie_sim_control", __name__)


@bp.get("/sim/config")
def get_config():
    return jsonify(sim().describe())


@bp.post("/sim/config")
def set_config():
    try:
        return jsonify(sim().configure(request.get_json(silent=True) or {}))
    except ValueError as err:
        return jsonify({"error": str(err)}), 400


@bp.get("/sim/drift")
def get_drift():
    return jsonify(sim().set_drift({}))


@bp.post("/sim/drift")
def set_drift():
    """The provider's catalog moves on: {"removed": [model], "renamed": {model: {old: new}}, "prices":
    {model: {price key: credits}}, "success_rates": {model: 0..1}}; /sim/reset clears it."""
    try:
        return jsonify(sim().set_drift(request.get_json(silent=True) or {}))
    except (TypeError, ValueError) as err:
        return jsonify({"error": str(err)}), 400


@bp.post("/sim/outcomes")
def set_outcomes():
    outcomes = (request.get_json(silent=True) or {}).get("outcomes", [])
    try:
        sim().set_outcomes(list(outcomes))
    except (TypeError, ValueError) as err:
        return jsonify({"error": str(err)}), 400
    return jsonify(sim().describe())


@bp.post("/sim/reset")
def reset():
    sim().reset()
    return jsonify(sim().describe())


@bp.get("/sim/tasks")
def list_tasks():
    return jsonify({"tasks": sim().task_list()})


@bp.get("/sim/ledger")
def ledger():
    """KIE's bill: every task with its measured inputs, price and state (see SimState.ledger)."""
    return jsonify({"tasks": sim().ledger()})


@bp.get("/sim/callbacks")
def list_callbacks():
    return jsonify({"callbacks": sim().callback_list()})


@bp.post("/sim/tasks/<task_id>/complete")
def complete_task(task_id):
    outcome = (request.get_json(silent=True) or {}).get("outcome")
    if outcome is not None and outcome not in TERMINAL:
        return jsonify({"error": "outcome must be 'success' or 'fail'"}), 400
    try:
        sim().finish_task(task_id, outcome)
    except TaskNotFound:
        return jsonify({"error": "task not found"}), 404
    except TaskFinished as err:
        return jsonify({"error": f"task already finished ({err})"}), 409
    return jsonify(sim().record(task_id))


@bp.get("/files/<path:key>")
def result_file(key):
    return _serve(f"files/{key}")


@bp.get("/tempfile/<path:key>")
def uploaded_file(key):
    return _serve(f"tempfile/{key}")


def _serve(key):
    """The stored bytes with their type; Flask answers HEAD on GET routes with the same
    headers (Content-Type, Content-Length) and no body."""
    found = sim().get_file(key)
    if found is None:
        abort(404)
    data, content_type = found
    return Response(data, content_type=content_type)
