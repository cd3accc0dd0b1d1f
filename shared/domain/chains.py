"""Follow-up actions on a result: which models can take it as input, and into which field."""
from __future__ import annotations

from dataclasses import dataclass

from shared.catalog import ModelSpec
from shared.domain.jobs import Job, JobState


@dataclass(frozen=True)
class Chain:
    key: str
    model_id: str
    field: str  # the target model's input that receives the result
    source: str  # "url": the result file; "task": the provider's task id of the result


CHAINS = (
    Chain("up", "topaz/image-upscale", "image_url", "url"),
    Chain("bg", "recraft/remove-background", "image", "url"),
    Chain("anim", "kling-2.6/image-to-video", "image_urls", "url"),
    Chain("edit", "google/nano-banana-edit", "image_urls", "url"),
    Chain("vup", "grok-imagine/upscale", "task_id", "task"),
)
GROK_VIDEO = ("grok-imagine/text-to-video", "grok-imagine/image-to-video")


def chains_for(model: ModelSpec, enabled: set[str]) -> list[Chain]:
    if model.output == "image":
        wanted = [c for c in CHAINS if c.source == "url"]
    elif model.id in GROK_VIDEO:
        wanted = [c for c in CHAINS if c.key == "vup"]
    else:
        wanted = []
    return [c for c in wanted if c.model_id in enabled and c.model_id != model.id]


def chain(key: str) -> Chain | None:
    return next((c for c in CHAINS if c.key == key), None)


def feeders(model_id: str) -> tuple[str, ...]:
    """The models whose results a model takes by task id (grok upscale: a grok video)."""
    return GROK_VIDEO if any(c.model_id == model_id and c.source == "task" for c in CHAINS) else ()


def task_source_ok(model_id: str, source: Job | None, user_id: int) -> bool:
    """A task id may feed `model_id` only when it is the user's own succeeded job of a model that can feed it
    (a typed id of someone else's video, or of any task of our provider account, is refused)."""
    return (source is not None and source.user_id == user_id and source.state == JobState.SUCCEEDED
            and source.model_id in feeders(model_id))
