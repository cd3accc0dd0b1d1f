"""Turn an upload, a URL or a file_id into stored files and Bot API media objects."""
import copy

from . import media
from .errors import ApiError, bad_request

# Optional fields each media object takes from the request (or the /sim/ body).
OBJECT_FIELDS = {
    "video": ("width", "height", "duration"),
    "animation": ("width", "height", "duration"),
    "audio": ("duration", "performer", "title"),
    "voice": ("duration",),
    "video_note": ("length", "duration"),
    "document": (),
}
DEFAULTS = {"width": 0, "height": 0, "duration": 0, "length": 0}
REQUIRED = {"video": ("width", "height", "duration"), "animation": ("width", "height", "duration"),
            "audio": ("duration",), "voice": ("duration",), "video_note": ("length", "duration")}


def store_photo(state, content, file_size=None, source="upload"):
    """Store every PhotoSize of a picture; returns the PhotoSize array."""
    size = media.image_size(content)
    if size is None:
        raise bad_request("IMAGE_PROCESS_FAILED" if source == "upload" else "wrong type of the web page content")
    media.check_photo_dimensions(*size)
    variants = media.photo_variants(content)
    records = []
    for index, (data, width, height) in enumerate(variants):
        last = index == len(variants) - 1
        ext = ".jpg" if data is not content else _image_ext(content)
        records.append(state.add_file("photo", data, file_size=file_size if last else None, ext=ext,
                                      mime_type="image/png" if ext == ".png" else "image/jpeg",
                                      width=width, height=height))
    sizes = [{"file_id": r["file_id"], "file_unique_id": r["file_unique_id"], "file_size": r["file_size"],
              "width": r["width"], "height": r["height"]} for r in records]
    for record in records:
        record["object"] = sizes  # a photo file_id re-sent later yields the same sizes
    return copy.deepcopy(sizes)


def _image_ext(content):
    return ".png" if content.startswith(b"\x89PNG") else ".jpg"


def store_file(state, kind, content, file_name=None, mime_type=None, meta=None, file_size=None):
    """Store a non-photo file; returns its Bot API object (Video, Audio, Document...)."""
    meta = meta or {}
    mime_type = mime_type or media.guess_mime(file_name, kind)
    record = state.add_file(kind, content, file_size=file_size,
                            ext=media.extension(kind, mime_type, file_name), mime_type=mime_type)
    obj = {"file_id": record["file_id"], "file_unique_id": record["file_unique_id"]}
    for field in OBJECT_FIELDS.get(kind, ()):
        value = meta.get(field, DEFAULTS.get(field))
        if value is not None and (value or field in REQUIRED.get(kind, ())):
            obj[field] = value
    if file_name and kind not in ("voice", "video_note"):
        obj["file_name"] = file_name
    if kind != "video_note":
        obj["mime_type"] = mime_type
    obj["file_size"] = record["file_size"]
    record["object"] = obj
    return copy.deepcopy(obj)


def resolve_media(state, kind, value, files, meta):
    """What a send* method gets as `photo`/`video`/...: multipart part, attach://, URL or file_id."""
    upload = None
    if value is None and kind in files:
        upload = files[kind]
    elif isinstance(value, str) and value.startswith("attach://"):
        upload = files.get(value[len("attach://"):])
        if upload is None:
            raise bad_request("can't parse InputMedia: media not found")
    if upload is not None:
        content, file_name, mime_type = upload
        if len(content) > media.upload_limit(kind):
            raise ApiError(413, "Request Entity Too Large")
        return _store(state, kind, content, file_name, mime_type, meta, "upload")
    if not value:
        raise bad_request(f"there is no {kind} in the request")
    if not isinstance(value, str):
        raise bad_request("wrong file identifier/HTTP URL specified")
    if media.is_url(value):
        content, mime_type, file_name = media.download(value, kind)
        if kind == "document" and mime_type not in media.DOCUMENT_URL_MIMES:
            raise bad_request("wrong type of the web page content")
        return _store(state, kind, content, file_name, mime_type, meta, "url")
    return reuse_file_id(state, kind, value)


def _store(state, kind, content, file_name, mime_type, meta, source):
    if kind == "photo":
        return store_photo(state, content, source=source)
    return store_file(state, kind, content, file_name, mime_type, meta)


def reuse_file_id(state, kind, file_id):
    record = state.file(file_id)
    if record is None or "object" not in record:
        raise bad_request("wrong file identifier/HTTP URL specified")
    if (record["kind"] == "photo") != (kind == "photo"):
        raise bad_request(f"can't use file of type {record['kind'].title()} as {kind.title()}")
    return copy.deepcopy(record["object"])


def file_info(record):
    """The Bot API File object (getFile)."""
    return {key: record[key] for key in ("file_id", "file_unique_id", "file_size", "file_path")}
