"""File Upload API (real host kieai.redpandaai.co): real HTTP statuses plus `success`."""
import base64
import binascii
import datetime as dt
import mimetypes
import re
import uuid

import httpx
from flask import Blueprint, jsonify, request

from .web import base_url, bearer_ok, client_problem, sim

bp = Blueprint("kie_uploads", __name__, url_prefix="/api")

URL_DOWNLOAD_TIMEOUT_S = 30
RETENTION = dt.timedelta(days=3)
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(;[^,]*)?;base64,(?P<data>.*)$", re.S)


class UploadError(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def fail(status, msg):
    return jsonify({"success": False, "code": status, "msg": msg, "data": None}), status


@bp.before_request
def require_api_key():
    problem = client_problem()
    if problem:
        return problem[1], problem[0]
    if not bearer_ok():
        return fail(401, "Authentication failed: Invalid API Key")
    return None


@bp.errorhandler(UploadError)
def upload_error(err):
    return fail(err.status, str(err))


@bp.post("/file-stream-upload")
def stream_upload():
    upload = request.files.get("file")
    if upload is None:
        raise UploadError(400, "Missing required parameter: file")
    mime = upload.mimetype or _guess_type(upload.filename)
    return _stored(request.form, upload.read(), mime, upload.filename)


@bp.post("/file-base64-upload")
def base64_upload():
    body = _json_body()
    raw = body.get("base64Data")
    if not raw:
        raise UploadError(400, "Missing required parameter: base64Data")
    data, mime = _decode_base64(raw)
    return _stored(body, data, mime, None)


@bp.post("/file-url-upload")
def url_upload():
    body = _json_body()
    url = body.get("fileUrl")
    if not url:
        raise UploadError(400, "Missing required parameter: fileUrl")
    _upload_path(body)  # report a missing uploadPath before downloading
    data, mime = _download(url)
    return _stored(body, data, mime, url.rsplit("/", 1)[-1].split("?")[0])


def _json_body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise UploadError(400, "Request body must be a JSON object")
    return body


def _decode_base64(raw):
    match = _DATA_URL.match(raw)
    mime = (match.group("mime") if match else None) or "application/octet-stream"
    payload = match.group("data") if match else raw
    try:
        return base64.b64decode(payload, validate=True), mime
    except (binascii.Error, ValueError):
        raise UploadError(400, "Base64 decoding failed: Invalid Base64 format") from None


def _download(url):
    try:
        response = httpx.get(url, timeout=URL_DOWNLOAD_TIMEOUT_S, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise UploadError(400, f"Failed to download file from URL: {exc}") from None
    mime = response.headers.get("content-type", "").split(";")[0] or _guess_type(url)
    return response.content, mime


def _upload_path(fields):
    path = (fields.get("uploadPath") or "").strip("/")
    if not path:
        raise UploadError(400, "Missing required parameter: uploadPath")
    return path


def _stored(fields, data, mime, original_name):
    """Keep the bytes under tempfile/<uploadPath>/<fileName> and answer like KIE."""
    folder = _upload_path(fields)
    name = fields.get("fileName") or _random_name(mime, original_name)
    file_path = f"{folder}/{name}"
    sim().store_file(f"tempfile/{file_path}", data, mime)
    url = f"{base_url()}/tempfile/{file_path}"
    uploaded = dt.datetime.now(dt.timezone.utc)
    data = {
        "fileId": uuid.uuid4().hex, "fileName": name, "originalName": original_name or name,
        "filePath": file_path, "uploadPath": folder, "downloadUrl": url, "fileUrl": url,
        "fileSize": len(data), "mimeType": mime,
        "uploadedAt": _iso(uploaded), "expiresAt": _iso(uploaded + RETENTION),
    }
    if sim().config["upload_without_url"]:  # a success that names no file: the client must not use it
        data = {k: v for k, v in data.items() if k not in ("downloadUrl", "fileUrl")}
    return jsonify({"success": True, "code": 200, "msg": "File uploaded successfully", "data": data}), 200


def _random_name(mime, original_name):
    ext = mimetypes.guess_extension(mime or "") or ""
    if original_name and "." in original_name:
        ext = "." + original_name.rsplit(".", 1)[-1]
    return f"{uuid.uuid4().hex}{ext}"


def _guess_type(name):
    return mimetypes.guess_type(name or "")[0] or "application/octet-stream"


def _iso(moment):
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
