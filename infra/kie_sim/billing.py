"""What KIE bills for one task: its own price table applied to the inputs as the simulator measured them.

The prices are the `price_credits` tables of the simulator's copy of KIE's model reference
(kie_models.json; 1 credit = 0.005 USD, `_meta.credit_usd`). This is the simulator's own reading of
them, written without the bot's pricing code, so the two can check each other:

- the table is keyed by the options that change the price (`720p_audio`, `10s_1080p`, `2K`, `speed`, ...);
  an option the request leaves out takes KIE's documented default (the reference's `default`);
- "per second" multiplies by started seconds: of a duration option (seedance, grok video), of a media
  input's decoded length (audio isolation, avatars, infinitalk: the output follows the audio), of
  num_frames / frames_per_second (wan speech-to-video), or of the generated audio (sound effects
  without duration_seconds). Decoded lengths get PADDING_GRACE_S: an encoder's priming and padding
  (an AAC track reads 3.02 s for 3 s of sound) is not a started second;
- "per 1000 characters" is proportional to the characters of `text`;
- the upscaler is priced by the output's long side: the decoded input's long side × upscale_factor,
  `<=2K` up to 2048 px, `4K` up to 4096 px, `8K` above;
- where the reference states no default for a priced option (wan 2.5 resolution, gpt image 2 resolution),
  the dearest tier;
- Veo 3.1 (one createTask model) by its tier and resolution, Kling 3.0 by mode and sound per second of its
  duration; Suno per request, both takes included.

Failed tasks are not billed (KIE's failure callbacks report consumeCredits 0).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

CREDIT_USD = Decimal("0.005")
PADDING_GRACE_S = Decimal("0.1")
GROK_CLIP_S = 6  # grok video without a duration: the 6 s clip of KIE's earlier price list
UPSCALE_TIERS = ((2048, "<=2K"), (4096, "4K"), (math.inf, "8K"))


class BillingError(ValueError):
    """The task cannot be priced (an input it is billed by could not be read); the msg names it."""


@dataclass(frozen=True)
class Bill:
    credits: Decimal
    basis: str  # how it was computed, e.g. "720p_audio 7 cr × 8 s"

    @property
    def usd(self) -> Decimal:
        return self.credits * CREDIT_USD


def bill(model, spec, payload, measured, generated_audio_s=1.0) -> Bill:
    """The credits KIE charges for one createTask of `model` with `payload` (the `input` object)."""
    table = spec.get("price_credits") or {}
    values = _with_defaults(spec, payload)
    rule = RULES.get(model, per_run())
    return rule(model, table, values, measured, Decimal(str(generated_audio_s)))


def _with_defaults(spec, payload):
    values = {name: field["default"] for name, field in spec["input"].items() if "default" in field}
    values.update({k: v for k, v in payload.items() if v is not None})
    return values


# --- the readings -------------------------------------------------------------------

def per_run(key=None):
    """One price per task: table[key(values)], or the table's `credits`."""
    def rule(model, table, values, measured, generated):
        name = key(values, table, measured) if key else "credits"
        return Bill(_price(model, table, name), name)
    return rule


def per_second(seconds, key=None):
    def rule(model, table, values, measured, generated):
        name = key(values, table, measured) if key else "credits"
        price = _price(model, table, name)
        count = seconds(values, measured, generated)
        return Bill(price * count, f"{name} {plain(price)} cr × {count} s")
    return rule


def per_1000_characters(field):
    def rule(model, table, values, measured, generated):
        chars = measured["texts"].get(field, 0)
        price = _price(model, table, "credits")
        return Bill(price * chars / 1000, f"{plain(price)} cr × {chars}/1000 characters of {field}")
    return rule


def _price(model, table, name):
    value = table.get(name)
    if not is_price(value):
        raise BillingError(f"{model}: no price {name!r} in the price table")
    return Decimal(str(value))


def is_price(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# Keys of the price tables.

def option(name):
    return lambda values, table, measured: str(values[name])


def _seconds_text(value):
    return f"{_whole(value)}s"


def _whole(value):
    number = Decimal(str(value))
    return int(number) if number == number.to_integral_value() else number


def with_audio(name):
    def key(values, table, measured):
        return f"{values['resolution']}_{'audio' if values.get(name) is True else 'no_audio'}"
    return key


def kling26(values, table, measured):
    return f"{_seconds_text(values['duration'])}_{'audio' if values.get('sound') is True else 'no_audio'}"


def duration_resolution(values, table, measured):
    resolution = values.get("resolution") or _dearest(table, f"{_seconds_text(values['duration'])}_")
    return f"{_seconds_text(values['duration'])}_{resolution}"


def _dearest(table, prefix):
    """The option value of the dearest tier whose key starts with prefix (no documented default)."""
    tiers = {k: v for k, v in table.items() if k.startswith(prefix) and isinstance(v, (int, float))}
    return max(tiers, key=tiers.get)[len(prefix):]


def option_or_dearest(name):
    def key(values, table, measured):
        if values.get(name) is not None:
            return str(values[name])
        return _dearest(table, "")
    return key


def veo_tier(values, table, measured):
    return f"{values['model']}_{values['resolution']}"


def kling3(values, table, measured):
    size = {"std": "std_720p_", "pro": "pro_1080p_", "4K": "4K_"}[values["mode"]]
    return size + ("audio" if values.get("sound") is True else "no_audio")


def grok_image(values, table, measured):
    return "quality_enable_pro" if values.get("enable_pro") is True else "speed"


def upscale_size(values, table, measured):
    image = _only_file(measured, "image_url", "image")
    side = max(image["width"], image["height"]) * int(values.get("upscale_factor") or 1)
    return next(name for limit, name in UPSCALE_TIERS if side <= limit)


# Seconds.

def option_seconds(name, absent=None):
    def count(values, measured, generated):
        value = values.get(name, absent)
        if value is None:
            raise BillingError(f"{name} is required for pricing")
        return _started(Decimal(str(value)))
    return count


def media_seconds(field):
    def count(values, measured, generated):
        media = _only_file(measured, field, "audio", "video")
        return _started(Decimal(str(media["seconds"])) - PADDING_GRACE_S)
    return count


def frames_seconds(values, measured, generated):
    return _started(Decimal(str(values["num_frames"])) / Decimal(str(values["frames_per_second"])))


def sound_effect_seconds(values, measured, generated):
    if values.get("duration_seconds") is not None:
        return _started(Decimal(str(values["duration_seconds"])))
    return _started(generated)


def _started(seconds):
    return max(1, int(seconds.to_integral_value(rounding=ROUND_CEILING)))


def _only_file(measured, field, *kinds):
    files = [f for f in measured["files"] if f["field"] == field]
    if not files or files[0].get("error") or files[0].get("kind") not in kinds:
        problem = files[0].get("error", "not " + " or ".join(kinds)) if files else "missing"
        raise BillingError(f"{field}: the file could not be read ({problem})")
    return files[0]


def plain(number):
    """A Decimal as plain text without trailing zeros: 1.20 -> "1.2", 1E+2 -> "100"."""
    return format(Decimal(number).normalize(), "f")


_VIDEO_5_10 = per_run(lambda v, t, m: _seconds_text(v["duration"]))
_WAN = per_run(duration_resolution)
_FLAT = per_run()

RULES = {
    "bytedance/seedance-1.5-pro": per_second(option_seconds("duration"), with_audio("generate_audio")),
    "elevenlabs/audio-isolation": per_second(media_seconds("audio_url")),
    "elevenlabs/sound-effect-v2": per_second(sound_effect_seconds),
    "elevenlabs/text-to-speech-multilingual-v2": per_1000_characters("text"),
    "elevenlabs/text-to-speech-turbo-2-5": per_1000_characters("text"),
    "flux-2/flex-image-to-image": per_run(option("resolution")),
    "flux-2/flex-text-to-image": per_run(option("resolution")),
    "flux-2/pro-image-to-image": per_run(option("resolution")),
    "flux-2/pro-text-to-image": per_run(option("resolution")),
    "grok-imagine/image-to-video": per_second(option_seconds("duration", GROK_CLIP_S), option("resolution")),
    "grok-imagine/text-to-video": per_second(option_seconds("duration", GROK_CLIP_S), option("resolution")),
    "grok-imagine/text-to-image": per_run(grok_image),
    "hailuo/2-3-image-to-video-pro": per_run(lambda v, t, m: f"{_seconds_text(v['duration'])}_{v['resolution']}"),
    "hailuo/2-3-image-to-video-standard": per_run(lambda v, t, m: f"{_seconds_text(v['duration'])}_{v['resolution']}"),
    "infinitalk/from-audio": per_second(media_seconds("audio_url"), option("resolution")),
    "kling-2.6/image-to-video": per_run(kling26),
    "kling-2.6/text-to-video": per_run(kling26),
    "kling/ai-avatar-v1-pro": per_second(media_seconds("audio_url")),
    "kling/v1-avatar-standard": per_second(media_seconds("audio_url")),
    "kling/ai-avatar-pro": per_second(media_seconds("audio_url")),
    "kling/ai-avatar-standard": per_second(media_seconds("audio_url")),
    "kling-3.0/video": per_second(option_seconds("duration"), kling3),
    "kling/v3-turbo-text-to-video": per_second(option_seconds("duration"), option("resolution")),
    "kling/v3-turbo-image-to-video": per_second(option_seconds("duration"), option("resolution")),
    "veo-3-1": per_run(veo_tier),
    "nano-banana-2": per_run(option("resolution")),
    "gpt-image-2-text-to-image": per_run(option_or_dearest("resolution")),
    "gpt-image-2-image-to-image": per_run(option_or_dearest("resolution")),
    "kling/v2-5-turbo-image-to-video-pro": _VIDEO_5_10,
    "kling/v2-5-turbo-text-to-video-pro": _VIDEO_5_10,
    "nano-banana-pro": per_run(option("resolution")),
    "sora-2-image-to-video": per_run(lambda v, t, m: _seconds_text(v["n_frames"])),
    "sora-2-text-to-video": per_run(lambda v, t, m: _seconds_text(v["n_frames"])),
    "topaz/image-upscale": per_run(upscale_size),
    "wan/2-2-a14b-speech-to-video-turbo": per_second(frames_seconds, option("resolution")),
    "wan/2-5-image-to-video": _WAN,
    "wan/2-5-text-to-video": _WAN,
    "wan/2-6-image-to-video": _WAN,
    "wan/2-6-text-to-video": _WAN,
    "wan/2-6-video-to-video": _WAN,
    # Flat per task (`credits`): google/imagen4*, google/nano-banana(-edit), grok-imagine/upscale,
    # recraft/remove-background, seedream/4.5-*, seedream/5-lite-*, sora-watermark-remover, z-image,
    # ai-music-api/generate (Suno: one price per request, both takes).
}
