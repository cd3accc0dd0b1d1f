"""Result files the simulator serves for finished tasks."""
import hashlib
import io

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

IMAGE_SIZE = 512
# Placeholders until real media is produced: an ISO-BMFF `ftyp` box and an ID3 header.
_MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
_MP3_HEAD = b"ID3\x03\x00\x00\x00\x00\x00\x00"


def result_files(model, spec, payload, task_id, size_bytes=0):
    """List of (file name, bytes, content type) for one successful task."""
    output = spec.get("output", "image")
    if output == "video":
        return [("0.mp4", _pad(_MP4_HEAD, size_bytes), "video/mp4")]
    if output == "audio":
        return [("0.mp3", _pad(_MP3_HEAD, size_bytes), "audio/mpeg")]
    fmt = "JPEG" if payload.get("output_format") in ("jpeg", "jpg") else "PNG"
    prompt = str(payload.get("prompt") or model)
    return [
        _image_file(i, fmt, prompt, f"{task_id}/{i}", size_bytes)
        for i in range(image_count(model, payload))
    ]


def image_count(model, payload):
    """Grok text-to-image returns a set of images (6, or 4 in pro mode); others one."""
    if model == "grok-imagine/text-to-image":
        return 4 if payload.get("enable_pro") is True else 6
    return 1


def _image_file(index, fmt, prompt, seed, size_bytes):
    image = draw_image(prompt, seed)
    if fmt == "JPEG":
        return (f"{index}.jpg", _pad(_encode(image, "JPEG"), size_bytes), "image/jpeg")
    return (f"{index}.png", _png_of_size(image, size_bytes), "image/png")


def draw_image(prompt, seed):
    """A colour gradient with the prompt's first words, tinted per seed."""
    tint = hashlib.sha256(seed.encode()).digest()[0]
    ramp = Image.linear_gradient("L").resize((IMAGE_SIZE, IMAGE_SIZE))
    blue = Image.new("L", ramp.size, tint)
    image = Image.merge("RGB", (ramp, ramp.rotate(90), blue))
    caption = " ".join(prompt.split()[:5])[:60]
    ImageDraw.Draw(image).text((24, 24), caption, fill="white", font=_font())
    return image


def _font():
    # DejaVu (Debian's fonts-dejavu-core) draws Cyrillic prompts; Pillow's bundled font is Latin-only.
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        try:
            return ImageFont.truetype(path, 24)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=24)
    except TypeError:
        return ImageFont.load_default()


def _encode(image, fmt, pnginfo=None):
    buf = io.BytesIO()
    image.save(buf, fmt, pnginfo=pnginfo) if pnginfo else image.save(buf, fmt)
    return buf.getvalue()


def _png_of_size(image, size_bytes):
    """PNG padded with a private ancillary chunk so it stays a valid image."""
    data = _encode(image, "PNG")
    missing = size_bytes - len(data) - 12  # 12 = chunk length + type + CRC
    if missing <= 0:
        return data
    info = PngImagePlugin.PngInfo()
    info.add(b"siMp", b"\0" * missing)
    return _encode(image, "PNG", pnginfo=info)


def _pad(data, size_bytes):
    return data + b"\0" * max(0, size_bytes - len(data))
