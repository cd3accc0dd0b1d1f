"""Result files the simulator serves for finished tasks.

Real, small files from infra.media_samples, encoded once per process and shared by every task
(the prompt does not change them); images are drawn per task with the prompt's first words:

    video  0.mp4  video/mp4   2 s, 320x180, H.264; plus an AAC tone track when the request has
                              sound/generate_audio true or an audio_url (the audio drives the video), and
                              always for Veo 3.1 (every Veo video carries generated audio)
    audio  0.mp3  audio/mpeg  1 s tone; elevenlabs/sound-effect-v2 honours output_format by its
                              prefix: pcm_<rate> -> 0.wav audio/wav (16-bit mono at that rate),
                              opus_* -> 0.ogg audio/ogg (Opus), mp3_*/ulaw/alaw -> 0.mp3;
                              Suno: two takes, 0.mp3 and 1.mp3
    image  <n>.png image/png, or <n>.jpg image/jpeg when output_format is jpeg/jpg

`result_size_bytes` pads every kind in a way players ignore (see media_samples.pad).
"""
import hashlib
import io

from PIL import Image, ImageDraw

from infra import media_samples

IMAGE_SIZE = 512
VIDEO_SECONDS = 2.0
VIDEO_SIZE = (320, 180)
AUDIO_SECONDS = 1.0
TAKES = {"ai-music-api/generate": 2}  # Suno returns two takes of one song per run
CUT_OUT = {"recraft/remove-background"}  # a transparent PNG


def result_files(model, spec, payload, task_id, size_bytes=0):
    """List of (file name, bytes, content type) for one successful task."""
    output = spec.get("output", "image")
    if output == "video":
        data = media_samples.mp4(VIDEO_SECONDS, model == "veo-3-1" or _wants_sound(payload), *VIDEO_SIZE)
        return [("0.mp4", media_samples.pad(data, "mp4", size_bytes), "video/mp4")]
    if model in TAKES:
        data = media_samples.pad(media_samples.mp3(AUDIO_SECONDS), "mp3", size_bytes)
        return [(f"{i}.mp3", data, "audio/mpeg") for i in range(TAKES[model])]
    if output == "audio":
        ext, data = audio_result(payload)
        return [(f"0.{ext}", media_samples.pad(data, ext, size_bytes), media_samples.MIME[ext])]
    fmt = "JPEG" if payload.get("output_format") in ("jpeg", "jpg") else "PNG"
    prompt = str(payload.get("prompt") or model)
    if model in CUT_OUT:
        return [("0.png", media_samples.pad(_encode(cut_out(draw_image(prompt, task_id)), "PNG"), "png", size_bytes),
                 "image/png")]
    return [
        _image_file(i, fmt, prompt, f"{task_id}/{i}", size_bytes)
        for i in range(image_count(model, payload))
    ]


def cut_out(image):
    """A background removal's result: the subject (a disc) on a transparent background."""
    alpha = Image.new("L", image.size, 0)
    ImageDraw.Draw(alpha).ellipse((IMAGE_SIZE // 4, IMAGE_SIZE // 4, IMAGE_SIZE * 3 // 4, IMAGE_SIZE * 3 // 4),
                                  fill=255)
    image = image.convert("RGBA")
    image.putalpha(alpha)
    return image


def _wants_sound(payload):
    return payload.get("sound") is True or payload.get("generate_audio") is True \
        or bool(payload.get("audio_url"))


def audio_result(payload):
    """(extension, bytes) of an audio result, by output_format's prefix (sound-effect-v2)."""
    fmt = str(payload.get("output_format") or "mp3")
    if fmt.startswith("pcm"):
        rate = fmt.rpartition("_")[2]
        return "wav", media_samples.wav(AUDIO_SECONDS, int(rate) if rate.isdigit() else 16000)
    if fmt.startswith("opus"):
        return "ogg", media_samples.ogg_opus(AUDIO_SECONDS)
    return "mp3", media_samples.mp3(AUDIO_SECONDS)


def image_count(model, payload):
    """Grok text-to-image returns a set of images (6, or 4 in pro mode); others one."""
    if model == "grok-imagine/text-to-image":
        return 4 if payload.get("enable_pro") is True else 6
    return 1


def _image_file(index, fmt, prompt, seed, size_bytes):
    image = draw_image(prompt, seed)
    if fmt == "JPEG":
        return (f"{index}.jpg", media_samples.pad(_encode(image, "JPEG"), "jpeg", size_bytes), "image/jpeg")
    return (f"{index}.png", media_samples.pad(_encode(image, "PNG"), "png", size_bytes), "image/png")


def draw_image(prompt, seed):
    """A colour gradient with the prompt's first words, tinted per seed."""
    tint = hashlib.sha256(seed.encode()).digest()[0]
    ramp = Image.linear_gradient("L").resize((IMAGE_SIZE, IMAGE_SIZE))
    blue = Image.new("L", ramp.size, tint)
    image = Image.merge("RGB", (ramp, ramp.rotate(90), blue))
    caption = " ".join(prompt.split()[:5])[:60]
    ImageDraw.Draw(image).text((24, 24), caption, fill="white", font=media_samples.font(24))
    return image


def _encode(image, fmt):
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()
