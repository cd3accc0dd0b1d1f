"""The KIE client against the KIE simulator over real HTTP: what every request carries, and what it makes of
an upload that names no file and of Suno's takes."""
import asyncio

import pytest

from infra import media_samples
from infra.kie_sim import KieSimulator
from shared.clients.kie import HEADERS, KieClient, KieError


@pytest.fixture(scope="module")
def sim():
    simulator = KieSimulator(port=0, latency_ms=100).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def kie(sim):
    sim.reset()
    return KieClient(sim.base_url, sim.base_url, sim.api_key)


def run(coro):
    return asyncio.run(coro)


async def _until_finished(kie, task_id):
    for _ in range(100):
        record = await kie.record_info(task_id)
        if record.finished:
            return record
        await asyncio.sleep(0.05)
    raise AssertionError("the task did not finish")


def test_gets_and_posts_carry_json_content_type_and_our_user_agent(sim, kie):
    async def calls():
        credits = await kie.credits()  # a GET: KIE answers 401 without the content type
        task_id = await kie.create_task("z-image", {"prompt": "a fox", "aspect_ratio": "1:1"}, None)
        record = await _until_finished(kie, task_id)
        url = await kie.upload_bytes(media_samples.png(32, 32), "a.png")  # multipart keeps its own type
        await kie.aclose()
        return credits, record, url

    credits, record, url = run(calls())

    assert credits == 10000 and record.state == "success" and url.startswith(sim.base_url)
    agents = sim.state.describe()["userAgents"]
    assert set(agents) == {HEADERS["User-Agent"]} and agents[HEADERS["User-Agent"]] >= 4, agents


def test_an_upload_that_names_no_file_is_an_error_never_the_text_none(sim, kie):
    sim.configure(upload_without_url=True)

    with pytest.raises(KieError) as err:
        run(kie.upload_bytes(media_samples.png(32, 32), "a.png"))

    assert err.value.code == 502 and "no file URL" in err.value.message


def test_suno_takes_and_the_real_cost_and_time_are_read(kie):
    async def suno():
        task_id = await kie.create_task("ai-music-api/generate", {"prompt": "a song about a fox", "custom_mode": False,
                                                                  "instrumental": True, "model": "V6"}, None)
        return await _until_finished(kie, task_id)

    record = run(suno())

    assert record.state == "success" and len(record.result_urls) == 2
    assert all(u.endswith(".mp3") for u in record.result_urls)
    assert record.credits_consumed == 12 and record.cost_time and record.cost_time >= 100
