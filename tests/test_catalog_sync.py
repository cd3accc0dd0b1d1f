"""The catalog sync through the local stack: the KIE simulator's discovery endpoints with its drift switches
(a removed model, a renamed field, a changed price), our Firestore, the admins' Telegram, the users' catalog."""
from __future__ import annotations

import functions_framework
import pytest

from infra.stack import ADMIN_IDS
from shared.bootstrap import container
from shared.catalog import load_pricing_truth
from shared.ui import callbacks as cb
from tests.conftest import run
from tests.helpers import TgUser, buttons, text_of

ADMIN = int(ADMIN_IDS.split(",")[0])
GONE, RENAMED, PRICED = "google/imagen4", "z-image", "nano-banana-2"


@pytest.fixture
def sync(clean_stack, kie):
    """The catalog_sync target in this process, paced for a simulator that allows 50 discovery calls/s."""
    kie.post("/sim/config", json={"discovery_rps": 50})
    settings = container().settings
    gap = settings.catalog_sync_gap_s
    settings.catalog_sync_gap_s = 0.03
    client = functions_framework.create_app("catalog_sync", "main.py").test_client()

    def call():
        response = client.post("/")
        assert response.status_code == 200, response.data
        return response.get_json()

    yield call
    settings.catalog_sync_gap_s = gap


def image_catalog(user: TgUser) -> set[str]:
    """The model ids behind the buttons on every page of the image catalog."""
    user.press_data(cb.make(cb.CATALOG, "image"))
    pages = [user.last()]
    while any(data.endswith(f":{len(pages)}") and data.startswith(cb.CATALOG) for _, data in buttons(pages[-1])):
        user.press_data(cb.make(cb.CATALOG, "image", len(pages)))
        pages.append(user.last())
    return {data.rsplit(":", 1)[-1] for p in pages for _, data in buttons(p)
            if data.split(":", 1)[0] in (cb.MODEL, cb.MODEL_FROM)}


def admin_models(admin: TgUser) -> str:
    """Every page of /admin → Models: the text and the buttons' labels."""
    admin.send("/admin")
    admin.press("Модели")
    pages = [admin.last()]
    for page in range(1, 8):
        admin.press_data(cb.make(cb.ADM_MODELS, page))
        pages.append(admin.last())
    return "\n".join(text_of(p) + "\n" + "\n".join(label for label, _ in buttons(p)) for p in pages)


def test_drift_hides_the_removed_model_reports_all_three_and_changes_no_price(clean_stack, db, kie, sync):
    admin = TgUser(clean_stack.url("telegram"), ADMIN)
    admin.send("/start")
    user = TgUser(clean_stack.url("telegram"), 9701)
    user.send("/start")
    assert GONE in image_catalog(user)
    truth_before = load_pricing_truth(clean_stack.pricing_truth_path)

    first = sync()  # the baseline: prices seen, nothing of ours missing
    assert first["ok"] and first["gone"] == []
    kie.post("/sim/drift", json={"removed": [GONE], "renamed": {RENAMED: {"aspect_ratio": "ratio"}},
                                 "prices": {PRICED: {"1K": 10}}}).raise_for_status()
    seen = len(admin.bot_messages())
    second = sync()

    assert second["gone"] == [GONE]
    latest = run(db.catalog_sync.latest())
    assert latest["run_id"] == second["run_id"] and run(db.catalog_sync.run_of(second["run_id"])) is not None
    assert latest["delisted"] == {GONE: "delisted by provider"}
    renamed = [f for f in latest["fields"] if f["model"] == RENAMED]
    assert renamed and renamed[0]["renamed"] == {"aspect_ratio": "ratio"}
    price = [p for p in latest["prices"] if p["model"] == PRICED][0]
    assert price["changes"] == [{"key": "1K", "old_usd": "0.04", "new_usd": "0.05", "pct": 25.0}]
    assert price["proposed_lines"] == [f"{PRICED} {{resolution=1K}}: 0.05 USD"]

    summary = admin.wait_for(lambda r: "Сверка каталога" in text_of(r) and r["message_id"] > 0
                             and len(admin.bot_messages()) > seen)
    text = text_of(summary)
    assert GONE in text and "Изменились параметры: моделей 1" in text and "Изменились цены: моделей 1" in text
    admin.press("Сверка каталога")
    details = admin.last_text()
    assert "aspect_ratio → ratio" in details and "0.04 → $0.05" in details
    assert f"{PRICED} {{resolution=1K}}: 0.05 USD" in details

    assert GONE not in image_catalog(user), "a model the provider no longer lists is not sold"
    models = admin_models(admin)
    assert "⛔ снята провайдером Imagen 4 ·" in models or "⛔ снята провайдером Imagen 4 " in models, "the admin sees why it is not sold"
    assert "🗄 выведена Sora 2" in models and "✅ Sora" not in models
    assert "Выключить: Sora" not in models and "Включить: Sora" not in models, "no switch that changes nothing"
    assert "Выключить: Imagen 4\n" in models, "a delisted model keeps its switch (it stays off when listed again)"
    assert load_pricing_truth(clean_stack.pricing_truth_path) == truth_before, "no price was changed"
    assert run(db.system.get_setting("runtime")).get("disabled_models", []) == [], "not an admin's switch"

    kie.post("/sim/reset")  # the provider lists it again (and the rename and the price are undone)
    kie.post("/sim/config", json={"discovery_rps": 50})
    third = sync()
    assert third["back"] == [GONE] and third["gone"] == []
    assert run(db.catalog_sync.latest())["delisted"] == {}
    assert GONE in image_catalog(user)


def test_an_unreadable_list_hides_nothing(clean_stack, db, kie, sync):
    kie.post("/sim/drift", json={"removed": [GONE]})
    sync()
    assert run(db.catalog_sync.latest())["delisted"] == {GONE: "delisted by provider"}
    kie.post("/sim/config", json={"api_key": "a-key-we-do-not-have"})  # every call refused
    result = sync()
    assert result["ok"] is False
    assert run(db.catalog_sync.latest())["delisted"] == {GONE: "delisted by provider"}, "kept as it was"


def test_an_admin_runs_it_now_through_the_worker_at_the_providers_pace(clean_stack, db, kie):
    """The button queues a worker task; the worker keeps to 1 discovery call per second (the simulator's
    limit, as the provider's) and the admin hears back even when nothing changed."""
    admin = TgUser(clean_stack.url("telegram"), ADMIN)
    admin.send("/admin")
    admin.press("Сверка каталога")
    assert "Ещё не запускалась" in admin.last_text()
    admin.press("Сверить сейчас")
    assert "Сверка каталога запущена" in admin.last_text()
    admin.wait_for(lambda r: "Сверка каталога" in text_of(r) and "запросов" in text_of(r)
                   or "у провайдера изменения" in text_of(r), timeout=150)
    latest = run(db.catalog_sync.latest())
    assert latest["ok"] and latest["calls"] > 40 and latest["throttled"] == 0, "paced: never over the limit"
    assert latest["listed_count"] > 40 and latest["delisted"] == {}
