"""kie_callback: the provider posts a finished task here (HMAC-signed when a key is configured).

KIE signs the task id and a timestamp, not the body: a signed callback is only a trigger, and the outcome
(success and result URLs, or failure) is read back from KIE's recordInfo before anything is applied
(shared/app/settle.py). The callback URL we give KIE names the job (`?job=<id>&sig=<our HMAC of the id>`), so
a task id can be attached to a job whose worker never stored it; a `job` we did not sign is ignored (and
without a key, always). In production the function does not start without KIE_WEBHOOK_HMAC_KEY
(shared/config.py `check_target`)."""
from __future__ import annotations

import logging
import re

import flask

from shared import runtime
from shared.app import settle
from shared.bootstrap import container
from shared.clients.kie import job_signature_ok, verify_signature
from shared.json_body import read_json

log = logging.getLogger("kie_callback")
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a Firestore document id we could have made (no '/')
STATUS = {settle.Callback.MISMATCH: 400}  # every other outcome is 200: KIE would only send it again


def kie_callback(request: flask.Request) -> flask.typing.ResponseReturnValue:
    if request.method != "POST":
        return "method not allowed", 405
    body, problem = read_json(request)
    if problem:
        return problem
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return "bad request", 400
    task_id = str(data.get("taskId") or data.get("task_id") or "")
    key = container().settings.kie_webhook_hmac_key
    if key and not verify_signature(key, task_id, request.headers.get("X-Webhook-Timestamp"),
                                    request.headers.get("X-Webhook-Signature")):
        return "bad signature", 401
    outcome = runtime.run(settle.on_callback(container(), data, _signed_job(request, key)), timeout=50)
    return outcome.value, STATUS.get(outcome, 200)


def _signed_job(request: flask.Request, key: str) -> str | None:
    """The job our own callback URL names, if we signed it; anything else is ignored."""
    job_id = request.args.get("job")
    if not key or not job_id or not JOB_ID.fullmatch(job_id):
        return None
    if not job_signature_ok(key, job_id, request.args.get("sig")):
        log.warning("callback names a job without our signature; ignored")
        return None
    return job_id
