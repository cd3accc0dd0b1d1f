"""What the client reads from the provider's task records and callbacks: market tasks, Suno's takes and its
several callbacks, the real cost and duration."""
import json

from shared.clients.kie import TaskRecord
from shared.domain.jobs import RETRYABLE, classify_kie_code


def test_a_market_record_gives_its_urls_cost_and_time():
    record = TaskRecord.from_data({"taskId": "t1", "state": "success", "creditsConsumed": 27.5, "costTime": 8400,
                                   "resultJson": json.dumps({"resultUrls": ["https://x/0.png", 7, ""]})})
    assert record.finished and record.result_urls == ["https://x/0.png"]
    assert record.credits_consumed == 27.5 and record.cost_time == 8400
    older = TaskRecord.from_data({"taskId": "t1", "state": "success", "consumeCredits": 12, "costTime": "8"})
    assert older.credits_consumed == 12 and older.cost_time == 8
    failed = TaskRecord.from_data({"taskId": "t1", "state": "fail", "consumeCredits": 0, "costTime": None})
    assert failed.credits_consumed == 0 and failed.cost_time is None and failed.result_urls == []


def test_suno_takes_come_from_data_audio_url_never_result_urls():
    takes = [{"id": "a", "audio_url": "https://x/0.mp3", "stream_audio_url": "https://x/s0"},
             {"id": "b", "audio_url": "https://x/1.mp3", "image_url": "https://x/c.jpg"}]
    record = TaskRecord.from_data({"taskId": "t2", "state": "success", "resultJson": json.dumps({"data": takes})})
    assert record.result_urls == ["https://x/0.mp3", "https://x/1.mp3"]


def test_only_the_complete_or_error_callback_of_suno_ends_a_task():
    takes = [{"id": "a", "audio_url": "https://x/0.mp3"}, {"id": "b", "audio_url": ""}]
    text = TaskRecord.from_data({"callbackType": "text", "task_id": "t3", "data": [{"id": "a", "audio_url": ""}]})
    first = TaskRecord.from_data({"callbackType": "first", "task_id": "t3", "data": takes})
    assert text.task_id == first.task_id == "t3"
    assert not text.finished and not first.finished, "the first take is not the result"
    complete = TaskRecord.from_data({"callbackType": "complete", "task_id": "t3",
                                     "data": [takes[0], {"id": "b", "audio_url": "https://x/1.mp3"}]})
    assert complete.state == "success" and complete.result_urls == ["https://x/0.mp3", "https://x/1.mp3"]
    assert TaskRecord.from_data({"callbackType": "error", "task_id": "t3", "data": None}).state == "fail"


def test_key_caps_and_disabled_features_are_never_retried():
    for code in (433, 505):
        assert classify_kie_code(code) not in RETRYABLE, code
