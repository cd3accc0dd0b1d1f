"""Small, real media files for the local simulators (KIE and Telegram).

Audio and video are encoded in-process with PyAV (`av`), whose wheels bundle FFmpeg with
libx264, the native AAC encoder, libmp3lame and libopus; pictures are drawn with Pillow and
WAV is written with the standard library. Every generator is cached per argument set, so a
test run encodes each kind once; callers get immutable bytes and must not expect files to
differ per prompt.

    png(width, height, text)           PNG, a flat colour derived from `text`, a frame and the text
    jpeg(width, height, text)          the same picture as JPEG
    pdf(text)                          a one-page PDF showing `text`
    mp4(seconds, with_audio, w, h)     MP4: H.264 (MPEG-4 Part 2 if libx264 is missing) at 10 fps,
                                       plus a 440 Hz AAC track (22.05 kHz mono) when with_audio
    mp3(seconds)                       MP3: 440 Hz tone, 22.05 kHz mono, 32 kbit/s, Xing header,
                                       a small ID3v2 tag in front
    mp3_claiming(seconds, claimed)     the same MP3 whose Info header claims `claimed` seconds (what
                                       header readers such as mutagen report); every frame is still there
    ogg_opus(seconds)                  OGG/Opus (a Telegram voice note): 48 kHz mono, 16 kbit/s
    wav(seconds, sample_rate)          WAV: 16-bit mono PCM

`pad(data, fmt, size)` grows a file to `size` bytes while keeping it playable; see there.
"""
import functools
import hashlib
import io
import math
import struct
import sys
import wave
import zlib
from array import array

import av
from PIL import Image, ImageDraw, ImageFont

CACHE_SIZE = 64
TONE_HZ = 440  # a whole number of cycles per second, so one second of samples loops cleanly
TONE_LEVEL = 0.2
VIDEO_FPS = 10
AAC_RATE = 22050
MIME = {"png": "image/png", "jpeg": "image/jpeg", "pdf": "application/pdf", "mp4": "video/mp4",
        "mp3": "audio/mpeg", "ogg": "audio/ogg", "wav": "audio/wav"}


# --- pictures ---------------------------------------------------------------------

@functools.lru_cache(maxsize=CACHE_SIZE)
def png(width=512, height=512, text=""):
    """A PNG of the given size: a flat colour chosen by `text`, a white frame and the text."""
    image = _picture(width, height, text)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@functools.lru_cache(maxsize=CACHE_SIZE)
def jpeg(width=512, height=512, text=""):
    """The png() picture as a JPEG."""
    buf = io.BytesIO()
    _picture(width, height, text).save(buf, format="JPEG", quality=80)
    return buf.getvalue()


@functools.lru_cache(maxsize=CACHE_SIZE)
def pdf(text="AI Studio simulator"):
    """A one-page PDF (A6 at 72 dpi, black-and-white) showing `text`, written by Pillow."""
    page = Image.new("L", (298, 420), 255)
    ImageDraw.Draw(page).text((20, 20), text[:40], fill=0, font=font(14))
    buf = io.BytesIO()
    page.convert("1").save(buf, format="PDF", resolution=72)
    return buf.getvalue()


def _picture(width, height, text):
    digest = hashlib.sha256(text.encode()).digest()
    color = tuple(40 + b % 160 for b in digest[:3])
    image = Image.new("RGB", (width, height), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle([width // 4, height // 4, width * 3 // 4, height * 3 // 4], outline=(255, 255, 255))
    if text and width >= 64 and height >= 32:
        size = max(10, min(24, height // 8))
        draw.text((size // 2, size // 2), text[:60], fill="white", font=font(size))
    return image


@functools.lru_cache(maxsize=8)
def font(size=24):
    """DejaVu (Debian's fonts-dejavu-core) draws Cyrillic; Pillow's bundled font is Latin-only."""
    try:
        return ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", size)
    except OSError:
        pass
    try:
        return ImageFont.load_default(size=size)
    except TypeError:
        return ImageFont.load_default()


# --- sound ------------------------------------------------------------------------

@functools.lru_cache(maxsize=CACHE_SIZE)
def mp3(seconds=1.0):
    """An MP3 tone of `seconds` (22.05 kHz mono, 32 kbit/s CBR) behind a small ID3v2 tag."""
    frames = _encode_audio("mp3", "libmp3lame", seconds, rate=22050, bit_rate=32_000,
                           container_options={"write_id3v2": "0"})  # our own tag, so pad() can grow it
    return _id3_tag(0) + frames


@functools.lru_cache(maxsize=CACHE_SIZE)
def mp3_claiming(seconds, claimed_seconds):
    """mp3(seconds) with the frame count of its Xing/Info header set to `claimed_seconds` worth: a file
    whose header lies about its length (decoding it still yields `seconds` of sound)."""
    data = mp3(seconds)
    tag = max(data.find(b"Xing"), data.find(b"Info"))
    flags = struct.unpack(">I", data[tag + 4:tag + 8])[0]
    if tag < 0 or not flags & 1:
        raise ValueError("the encoder wrote no frame count to patch")
    frames = struct.unpack(">I", data[tag + 8:tag + 12])[0]
    claimed = max(1, round(frames * claimed_seconds / seconds))
    return data[:tag + 8] + struct.pack(">I", claimed) + data[tag + 12:]


@functools.lru_cache(maxsize=CACHE_SIZE)
def ogg_opus(seconds=1.0):
    """An OGG/Opus tone of `seconds` (48 kHz mono, 16 kbit/s), what Telegram voice notes are."""
    return _encode_audio("ogg", "libopus", seconds, rate=48000, bit_rate=16_000)


@functools.lru_cache(maxsize=CACHE_SIZE)
def wav(seconds=1.0, sample_rate=16000):
    """A WAV tone of `seconds`: 16-bit mono PCM at `sample_rate` Hz."""
    count = round(seconds * sample_rate)
    second = _tone_second(sample_rate)
    pcm = second * (count // sample_rate) + second[:(count % sample_rate) * 2]
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return buf.getvalue()


@functools.lru_cache(maxsize=16)
def _tone_second(rate):
    """One second of a 440 Hz sine as 16-bit little-endian mono samples."""
    amplitude = 32767 * TONE_LEVEL
    samples = array("h", (round(amplitude * math.sin(2 * math.pi * TONE_HZ * i / rate)) for i in range(rate)))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def _encode_audio(fmt, codec, seconds, rate, bit_rate, container_options=None):
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt, container_options=container_options or {}) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        stream.bit_rate = bit_rate
        _write_tone(out, stream, seconds, rate)
    return buf.getvalue()


def _write_tone(out, stream, seconds, rate):
    """Feed `seconds` of tone to an audio stream in one-second frames, then flush it."""
    total = round(seconds * rate)
    second = _tone_second(rate)
    done = 0
    while done < total:
        count = min(rate, total - done)
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        frame.planes[0].update(second[:count * 2])
        frame.sample_rate = rate
        frame.pts = done
        out.mux(stream.encode(frame))
        done += count
    out.mux(stream.encode(None))


# --- video ------------------------------------------------------------------------

@functools.lru_cache(maxsize=CACHE_SIZE)
def mp4(seconds=1.0, with_audio=False, width=320, height=180):
    """An MP4 of `seconds` at 10 fps: a bar sweeping over a flat colour, H.264 (yuv420p) if the
    FFmpeg build has libx264, else MPEG-4 Part 2; with_audio adds a mono 440 Hz AAC track."""
    width, height = max(16, width - width % 2), max(16, height - height % 2)
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        video = out.add_stream(video_codec(), rate=VIDEO_FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if video_codec() == "libx264":
            video.options = {"preset": "ultrafast", "crf": "38", "g": str(VIDEO_FPS * 2)}
        else:
            video.bit_rate = 100_000
        audio = None
        if with_audio:
            audio = out.add_stream("aac", rate=AAC_RATE, layout="mono")
            audio.bit_rate = 32_000
        # Converted once per call and re-sent (the encoder keeps a reference, not a copy):
        # four times faster than converting every frame. Not shared between calls, since
        # each send sets `pts` and the simulators encode on several threads.
        frames = [av.VideoFrame.from_image(p).reformat(format="yuv420p") for p in _sweep(width, height)]
        for index in range(max(1, round(seconds * VIDEO_FPS))):
            frame = frames[index % len(frames)]
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if audio is not None:
            _write_tone(out, audio, seconds, AAC_RATE)
    return buf.getvalue()


@functools.lru_cache(maxsize=1)
def video_codec():
    """libx264 when the bundled FFmpeg has it (PyAV's wheels do), else MPEG-4 Part 2."""
    try:
        av.codec.Codec("libx264", "w")
        return "libx264"
    except Exception:  # av.codec.codec.UnknownCodecError
        return "mpeg4"


@functools.lru_cache(maxsize=8)
def _sweep(width, height):
    """One second of pictures: a white bar crossing the frame."""
    base = _picture(width, height, f"{width}x{height}")
    bar = max(2, width // 16)
    pictures = []
    for step in range(VIDEO_FPS):
        image = base.copy()
        left = (width - bar) * step // max(1, VIDEO_FPS - 1)
        ImageDraw.Draw(image).rectangle([left, 0, left + bar - 1, height - 1], fill=(255, 255, 255))
        pictures.append(image)
    return tuple(pictures)


# --- padding ----------------------------------------------------------------------

def pad(data, fmt, size):
    """`data` (a file of format `fmt`) grown to exactly `size` bytes without breaking it.

    png: a private ancillary `siMp` chunk before IEND; mp4: a top-level `free` box at the end;
    mp3: padding inside the leading ID3v2 tag; wav: a `JUNK` chunk after the samples;
    ogg (Opus): zero padding after the OpusTags comment list (RFC 7845 5.2), re-paged;
    pdf: comment lines, then the trailer's `startxref`/`%%EOF` again (readers look for them
    near the end). Zero bytes after the end (which readers skip) for jpeg and any other
    format, and for the few bytes a chunk, box or page header cannot take. Never shrinks.
    """
    missing = size - len(data)
    if missing <= 0:
        return data
    if fmt == "png" and missing >= 12 and data.startswith(b"\x89PNG"):
        return _png_padded(data, missing)
    if fmt == "mp4" and missing >= 8:
        return data + _box(b"free", missing)
    if fmt == "mp3" and data.startswith(b"ID3"):
        return _mp3_padded(data, missing)
    if fmt == "wav" and missing >= 8 and data.startswith(b"RIFF"):
        return _wav_padded(data, missing)
    if fmt == "pdf" and b"startxref" in data[-64:]:
        return _pdf_padded(data, missing)
    if fmt == "ogg" and data[28:36] == b"OpusHead":
        return _ogg_opus_padded(data, size)
    return data + b"\0" * missing


def _png_padded(data, missing):
    body = b"\0" * (missing - 12)  # 12 = length + type + CRC
    chunk = struct.pack(">I", len(body)) + b"siMp" + body
    chunk += struct.pack(">I", _crc32(chunk[4:]))
    iend = data.rindex(b"IEND") - 4
    return data[:iend] + chunk + data[iend:]


def _crc32(data):
    return zlib.crc32(data) & 0xFFFFFFFF


def _box(kind, total):
    if total < 2 ** 32:
        return struct.pack(">I", total) + kind + b"\0" * (total - 8)
    return struct.pack(">I", 1) + kind + struct.pack(">Q", total) + b"\0" * (total - 16)


def _id3_tag(padding):
    """ID3v2.3 with one TSSE (encoder) frame and `padding` zero bytes (valid tag padding)."""
    text = b"\0AI Studio simulator"
    frame = b"TSSE" + struct.pack(">I", len(text)) + b"\0\0" + text
    return b"ID3\x03\x00\x00" + _syncsafe(len(frame) + padding) + frame + b"\0" * padding


def _syncsafe(size):
    return bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))


def _mp3_padded(data, missing):
    """Zeros after the leading tag's frames are ID3v2 padding; the tag's size grows to match."""
    size = int.from_bytes(bytes(b & 0x7F for b in data[6:10]), "big")
    if size + missing >= 2 ** 28:  # the most a syncsafe size holds
        return data + b"\0" * missing
    return data[:6] + _syncsafe(size + missing) + data[10:10 + size] + b"\0" * missing + data[10 + size:]


def _wav_padded(data, missing):
    body = (missing - 8) & ~1  # chunks have an even length; an odd byte left goes after RIFF
    chunk = b"JUNK" + struct.pack("<I", body) + b"\0" * body
    riff = struct.pack("<I", len(data) + len(chunk) - 8)
    return data[:4] + riff + data[8:] + chunk + b"\0" * (missing - 8 - body)


def _pdf_padded(data, missing):
    tail = data[data.rindex(b"startxref"):].rstrip() + b"\n"
    room = missing - 1 - len(tail)  # 1: the newline ending the original %%EOF line
    if room < 0:
        return data + b"\0" * missing
    line = b"%" + b" " * 78 + b"\n"
    full, rest = divmod(room, len(line))
    last = b"%" + b" " * (rest - 2) + b"\n" if rest >= 2 else b"\n" * rest
    return data + b"\n" + line * full + last + tail


# Ogg pages carry a CRC-32 with polynomial 0x04C11DB7, not reflected, init 0, no final xor.
# zlib has the reflected one; bit-reversing every byte and the result converts between them.
_REVERSED_BYTES = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def _ogg_crc(page):
    raw = zlib.crc32(page.translate(_REVERSED_BYTES), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{raw:032b}"[::-1], 2)


def _ogg_pages(data):
    """[(header_type, granule, serial, sequence, [lacing values], body)] of an Ogg stream."""
    pages, pos = [], 0
    while pos + 27 <= len(data) and data[pos:pos + 4] == b"OggS":
        kind, granule, serial, seq = struct.unpack_from("<BqII", data, pos + 5)
        lacing = list(data[pos + 27:pos + 27 + data[pos + 26]])
        start = pos + 27 + len(lacing)
        pages.append((kind, granule, serial, seq, lacing, data[start:start + sum(lacing)]))
        pos = start + sum(lacing)
    return pages, data[pos:]


def _ogg_page(kind, granule, serial, seq, lacing, body):
    page = b"OggS\0" + struct.pack("<BqIIIB", kind, granule, serial, seq, 0, len(lacing)) + bytes(lacing) + body
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def _ogg_packet_pages(packet, serial, first_seq, granule):
    """A packet laid out on as many pages as it needs (255 lacing values each)."""
    lacing = [255] * (len(packet) // 255) + [len(packet) % 255]
    pages, pos = [], 0
    for index, start in enumerate(range(0, len(lacing), 255)):
        chunk = lacing[start:start + 255]
        last = start + 255 >= len(lacing)
        pages.append(_ogg_page(1 if index else 0, granule if last else -1, serial, first_seq + index,
                               chunk, packet[pos:pos + sum(chunk)]))
        pos += sum(chunk)
    return pages


def _ogg_opus_padded(data, size):
    """Grow the OpusTags header packet (pages 1..n) with zeros; renumber the pages after it."""
    pages, trailer = _ogg_pages(data)
    tags_end = next((i for i, p in enumerate(pages) if i and p[4] and p[4][-1] < 255), None)
    if tags_end is None or len({p[2] for p in pages}) != 1:
        return data + b"\0" * (size - len(data))
    tags = b"".join(p[5] for p in pages[1:tags_end + 1])
    head = data[:27 + len(pages[0][4]) + len(pages[0][5])]

    def build(extra):
        tag_pages = _ogg_packet_pages(tags + b"\0" * extra, pages[0][2], 1, 0)
        shift = len(tag_pages) - tags_end
        rest = [_ogg_page(k, g, serial, seq + shift, lacing, body)
                for k, g, serial, seq, lacing, body in pages[tags_end + 1:]]
        return b"".join([head, *tag_pages, *rest, trailer])

    # Each padding byte adds one byte, plus a lacing value per 255 and a page header per 65025:
    # aim, step back by the overshoot, then forward by what is left; the last few bytes, which
    # a lacing value or page header would overshoot, go after the last page.
    extra = size - len(data)
    padded = build(extra)
    for _ in range(6):
        step = size - len(padded)
        if step == 0 or (step > 0 and extra == size - len(data)):
            break
        trial = build(max(0, extra + step))
        if step < 0 or len(trial) <= size:
            extra, padded = max(0, extra + step), trial
        else:
            break
    if len(padded) > size:
        return data + b"\0" * (size - len(data))
    return padded + b"\0" * (size - len(padded))
