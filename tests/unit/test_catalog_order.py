"""The catalog lists models by family and usefulness, in the order its data gives (models.json `order`)."""
from __future__ import annotations

from shared.catalog import load_catalog


def test_every_enabled_model_has_a_place_in_the_order():
    catalog = load_catalog()
    assert {m.id for m in catalog.enabled()} <= set(catalog.order)
    assert len(catalog.order) == len(set(catalog.order))


def test_video_starts_with_a_flagship_and_variants_of_one_model_sit_together():
    enabled = load_catalog().enabled()
    video = [m for m in enabled if m.category == "video"]
    assert video[0].id == "kling-3.0/video" and video[0].id != "bytedance/seedance-1.5-pro"
    for category in ("image", "video", "audio", "tools"):
        names = [m.name.en.split(" — ")[0] for m in enabled if m.category == category]
        for name in set(names):
            places = [i for i, n in enumerate(names) if n == name]
            assert places == list(range(places[0], places[0] + len(places))), (category, name, names)
