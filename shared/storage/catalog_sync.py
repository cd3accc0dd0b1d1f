"""What the catalog sync learns: one document per run (catalog_sync/{run_id}) and a copy of the last one
(catalog_sync/latest), plain field names an admin reads in the console; and the models the provider no
longer lists, hidden in settings/runtime beside the admins' own switches (`delisted_models`)."""
from __future__ import annotations

from typing import Any

from shared.domain.clock import utcnow
from shared.storage.base import SETTINGS, Aggregate

CATALOG_SYNC = "catalog_sync"
LATEST = "latest"
RUNTIME = "runtime"


class CatalogSync(Aggregate):
    async def latest(self) -> dict[str, Any] | None:
        snap = await self.ref(CATALOG_SYNC, LATEST).get()
        return snap.to_dict() if snap.exists else None

    async def run_of(self, run_id: str) -> dict[str, Any] | None:
        snap = await self.ref(CATALOG_SYNC, run_id).get()
        return snap.to_dict() if snap.exists else None

    async def save(self, run_id: str, report: dict[str, Any], delisted: dict[str, str]) -> None:
        """The run's report, `latest`, and the hidden models, in one batch (1 commit, 3 writes). Only the
        `delisted_models` field of settings/runtime is written: an admin's switches are left alone."""
        batch = self.db.batch()
        doc = {**report, "run_id": run_id, "finished_at": utcnow()}
        batch.set(self.ref(CATALOG_SYNC, run_id), doc)
        batch.set(self.ref(CATALOG_SYNC, LATEST), doc)
        batch.set(self.ref(SETTINGS, RUNTIME), {"delisted_models": delisted}, merge=["delisted_models"])
        await batch.commit()


def delisted_of(runtime_doc: dict[str, Any]) -> dict[str, str]:
    value = runtime_doc.get("delisted_models")
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
