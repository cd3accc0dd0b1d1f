"""What the simulator measures in a task's inputs before it bills it: the bytes behind every file URL,
and the characters of every text field.

A file is read from the simulator's own storage when the URL is one it serves (uploads and results),
else fetched over HTTP when it is on this machine (a test's file server); a URL elsewhere on the Internet
is recorded unread, so the simulator never depends on the network. Then the bytes are measured, never the
names, types or headers around them: an image is decoded with Pillow (its pixels), anything else is
decoded with PyAV to the last frame (audio: the decoded samples / the sample rate; video: from the first
to past the last decoded frame), so a file whose header claims 1 s but holds 15 s of frames measures 15 s.
"""
from __future__ import annotations

import hashlib
import io
from urllib.parse import urlparse

import httpx

from .validation import URL_FIELDS

FETCH_TIMEOUT_S = 10
MAX_FETCH_BYTES = 200 * 1024 * 1024
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAX_DECODE_S = 3600  # stop decoding after an hour of media: longer is not a real input here
NOT_TEXT = {"task_id", "voice", "language_code", "output_format", "upload_method"}  # ids, not billed text


class Unreadable(Exception):
    pass


def measure_input(spec, payload, base_url, own_file):
    """{"files": [...], "texts": {field: characters}} for one createTask `input`.

    own_file(key) returns (bytes, content type) for a URL path this simulator serves, or None."""
    files, texts = [], {}
    for name, value in payload.items():
        field = spec["input"].get(name, {})
        if name in URL_FIELDS or "file_types" in field:
            for index, url in enumerate(value if isinstance(value, list) else [value]):
                files.append({"field": name, "index": index, **measure_url(url, base_url, own_file)})
        elif isinstance(value, str) and "enum" not in field and name not in NOT_TEXT:
            texts[name] = len(value)
    return {"files": files, "texts": texts}


def measure_url(url, base_url, own_file):
    try:
        data = fetch(url, base_url, own_file)
    except Unreadable as err:
        return {"url": url, "error": str(err)}
    return {"url": url, **measure_bytes(data)}


def fetch(url, base_url, own_file):
    if isinstance(url, str) and url.startswith(base_url + "/"):
        found = own_file(urlparse(url).path.lstrip("/"))
        if found is None:
            raise Unreadable("no such file")
        return found[0]
    if urlparse(url).hostname not in LOCAL_HOSTS:
        raise Unreadable("external URL: not fetched by the simulator")
    try:
        with httpx.stream("GET", url, timeout=FETCH_TIMEOUT_S, follow_redirects=True) as response:
            response.raise_for_status()
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_FETCH_BYTES:
                    raise Unreadable("file too large")
                chunks.append(chunk)
    except httpx.HTTPError as err:
        raise Unreadable(f"could not fetch: {type(err).__name__}") from None
    return b"".join(chunks)


def measure_bytes(data):
    """sha256 and size of the bytes, and what decoding them shows: kind plus pixels or seconds."""
    found = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    image = _image(data)
    if image:
        return {**found, "kind": "image", "width": image[0], "height": image[1]}
    media = _media(data)
    if media:
        return {**found, **media}
    return {**found, "kind": "unknown"}


def _image(data):
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # decode the pixels: a header alone does not make an image
            return image.size
    except Exception:  # Pillow raises many types for bytes that are not an image it reads
        return None


def _media(data):
    """{"kind": "audio"|"video", "seconds": float} from decoding every frame, or None."""
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            streams = [s for s in container.streams if s.type in ("audio", "video")]
            if not streams:
                return None
            lengths = {s.index: _Length() for s in streams}
            for frame in container.decode(*streams):
                length = lengths[_stream_of(frame, streams).index]
                length.add(frame, _stream_of(frame, streams))
                if length.seconds > MAX_DECODE_S:
                    break
            kinds = {s.index: s.type for s in streams}  # a stream must not be touched once closed
    except Exception:  # av.error.FFmpegError and friends: not media PyAV decodes
        return None
    seconds = max(length.seconds for length in lengths.values())
    if seconds <= 0:
        return None
    kind = "video" if any(kinds[i] == "video" and length.seconds for i, length in lengths.items()) else "audio"
    return {"kind": kind, "seconds": round(seconds, 3)}


def _stream_of(frame, streams):
    if len(streams) == 1:
        return streams[0]
    kind = "audio" if getattr(frame, "samples", None) is not None else "video"
    return next(s for s in streams if s.type == kind)


class _Length:
    """Seconds of one decoded stream: audio by its samples, video from its first to past its last frame."""

    def __init__(self):
        self.samples_s = 0.0
        self.first = self.last = None
        self.frame_s = 0.0

    def add(self, frame, stream):
        if stream.type == "audio":
            self.samples_s += frame.samples / frame.sample_rate
            return
        at = float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else None
        if at is None:
            at = (self.last or 0.0) + self.frame_s
        self.first = at if self.first is None else min(self.first, at)
        self.last = at if self.last is None else max(self.last, at)
        rate = stream.average_rate or stream.guessed_rate
        self.frame_s = 1 / float(rate) if rate else 0.0

    @property
    def seconds(self):
        if self.first is None:
            return self.samples_s
        return self.last - self.first + self.frame_s
