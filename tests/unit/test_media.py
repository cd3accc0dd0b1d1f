"""Media inputs: formats recognised by their bytes, lengths and sizes measured by decoding, the checks."""
import io
import re
import struct
import zlib

import av
import pytest

from infra import media_samples as ms
from shared.catalog import load_catalog
from shared.domain.media import (MAX_PIXELS, MB, IncomingFile, Measured, Unmeasurable, byte_limit, check_file,
                                 check_measured, check_room, sniff, stored_name)
from shared.domain.validation import InvalidInput
from shared.domain.decode import measure

CATALOG = load_catalog()
AUDIO = CATALOG.get("kling/ai-avatar-standard").field("audio_url")  # 15 s cap, 100 MB
IMAGES = CATALOG.get("google/nano-banana-edit").field("image_urls")  # up to 10, jpeg/png/webp, 10 MB


def problem(check, *args) -> tuple[str, dict]:
    with pytest.raises(InvalidInput) as err:
        check(*args)
    return err.value.problem.code, err.value.problem.params


def lying_mp4(seconds: float) -> bytes:
    """An MP4 whose movie, track and media headers all say 1 s while `seconds` of frames follow."""
    data = bytearray(ms.mp4(seconds, True, 320, 180))
    at = data.index(b"mvhd") + 4
    movie_scale = struct.unpack(">I", data[at + 12:at + 16])[0]
    for box, scale_at, duration_at in ((b"mvhd", 12, 16), (b"mdhd", 12, 16), (b"tkhd", None, 20)):
        start = 0
        while (found := data.find(box, start)) >= 0:
            i = found + 4
            scale = movie_scale if scale_at is None else struct.unpack(">I", data[i + scale_at:i + scale_at + 4])[0]
            data[i + duration_at:i + duration_at + 4] = struct.pack(">I", scale)
            start = i
    return bytes(data)


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares a size and holds almost nothing (a decompression bomb's first bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("data, name, mime", [
    (ms.png(8, 8), "png", "image/png"), (ms.jpeg(8, 8), "jpg", "image/jpeg"), (b"RIFF\0\0\0\0WEBPVP8 ", "webp", "image/webp"),
    (b"GIF89a\1\0", "gif", "image/gif"), (ms.wav(0.1), "wav", "audio/wav"), (ms.ogg_opus(0.1), "ogg", "audio/ogg"),
    (ms.mp3(0.1), "mp3", "audio/mpeg"), (b"\xff\xfb\x90\x00", "mp3", "audio/mpeg"), (b"\xff\xf1\x50\x80", "aac", "audio/aac"),
    (b"fLaC\0\0\0\x22", "flac", "audio/flac"), (ms.mp4(0.5, False), "mp4", "video/mp4"),
    (b"\0\0\0\x14ftypqt  ", "mov", "video/quicktime"), (b"\0\0\0\x20ftypM4A ", "m4a", "audio/mp4"),
    (b"\x1a\x45\xdf\xa3\x01", "mkv", "video/x-matroska"),
])
def test_formats_are_recognised_by_their_first_bytes(data, name, mime):
    fmt = sniff(data[:64])
    assert (fmt.name, fmt.mime) == (name, mime)


@pytest.mark.parametrize("data", [ms.pdf("x"), b"#EXTM3U\n#EXTINF:10,\nhttp://169.254.169.254/x.ts\n", b"", b"\0" * 64,
                                  b"ffconcat version 1.0\nfile /etc/passwd\n"])
def test_anything_else_is_not_read_and_ffmpeg_never_guesses(data):
    assert sniff(data[:64]) is None
    with pytest.raises(Unmeasurable) as err:
        measure(data)
    assert err.value.code == "unreadable"


@pytest.mark.parametrize("make, seconds, mime", [
    (lambda: ms.mp3(5.0), 5.0, "audio/mpeg"), (lambda: ms.ogg_opus(4.0), 4.0, "audio/ogg"),
    (lambda: ms.wav(1.5), 1.5, "audio/wav"), (lambda: ms.pad(ms.mp3(3.0), "mp3", 200_000), 3.0, "audio/mpeg"),
])
def test_sound_lasts_as_long_as_its_decoded_samples(make, seconds, mime):
    data = make()
    m = measure(data)
    assert (m.kind, m.mime, m.duration_s, m.size) == ("audio", mime, seconds, len(data))
    assert re.fullmatch(r"[0-9a-f]{64}", m.sha256)


def test_headers_that_lie_do_not_set_the_length():
    header_says_1s = ms.mp3(1.0) + ms.mp3(40.0)[len(ms._id3_tag(0)):]  # the Xing header counts 1 s of frames
    assert measure(header_says_1s).duration_s == 41.0
    video = lying_mp4(10.0)
    with av.open(io.BytesIO(video)) as container:
        assert container.duration / 1_000_000 == pytest.approx(1.0)  # what the container says
    m = measure(video)
    assert (m.kind, m.mime, m.ext, m.duration_s, m.width, m.height) == ("video", "video/mp4", "mp4", 10.0, 320, 180)


def test_pictures_are_decoded_whole():
    m = measure(ms.png(640, 480, "x"))
    assert (m.kind, m.mime, m.ext, m.width, m.height, m.duration_s) == ("image", "image/png", "png", 640, 480, None)
    with pytest.raises(Unmeasurable) as err:
        measure(ms.png(640, 480, "x")[:400])  # truncated: the header alone would say 640x480
    assert err.value.code == "unreadable"


def test_a_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(Unmeasurable) as err:
        measure(png_header(10_000, 10_000))
    assert err.value.code == "too_many_pixels" and err.value.params == {"megapixels": 100, "max": MAX_PIXELS // 10**6}
    with pytest.raises(Unmeasurable) as err:
        measure(png_header(30_000, 30_000))  # past Pillow's own limit
    assert err.value.code == "too_many_pixels"


def test_measured_values_decide_the_checks():
    voice = Measured("audio", "audio/ogg", "ogg", 9_000, "0" * 64, duration_s=40.0)
    assert problem(check_measured, AUDIO, voice) == ("too_long_media", {"max": 15, "seconds": 40})
    check_measured(AUDIO, Measured("audio", "audio/ogg", "ogg", 9_000, "0" * 64, duration_s=15.0))
    assert problem(check_measured, IMAGES, Measured("image", "image/gif", "gif", 10, "0" * 64, width=1, height=1))[0] \
        == "wrong_format"
    assert problem(check_measured, IMAGES, voice)[0] == "want_image"
    big = Measured("image", "image/png", "png", 11 * MB, "0" * 64, width=1, height=1)
    assert problem(check_measured, IMAGES, big) == ("too_big", {"max": "10", "size": "11.0"})


def test_what_telegram_says_can_only_refuse():
    check_file(IMAGES, IncomingFile("image", "f", "image/jpeg", 1000))
    assert problem(check_file, IMAGES, IncomingFile("other", "f", "application/pdf", 1000))[0] == "want_image"
    assert problem(check_file, IMAGES, IncomingFile("image", "f", "image/png", 25 * MB))[0] == "too_big_for_telegram"
    assert byte_limit(IMAGES) == 10 * MB and byte_limit(AUDIO) == 20 * MB


def test_a_full_step_takes_no_more_before_anything_is_downloaded():
    check_room(IMAGES, 9)
    assert problem(check_room, IMAGES, 10) == ("too_many_files", {"max": 10})
    check_room(AUDIO, 1)  # a one-file step: a new file replaces the old one


def test_stored_names_are_ours_and_unguessable():
    names = {stored_name("wav") for _ in range(1000)}
    assert len(names) == 1000 and all(re.fullmatch(r"[0-9a-f]{32}\.wav", n) for n in names)
