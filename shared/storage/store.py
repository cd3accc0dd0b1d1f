"""The store: one Firestore client and its aggregates. Nothing outside shared/storage/ touches the client.

    store.users       users, their ledger, their free uses          shared/storage/users.py
    store.drafts      jobs in the wizard, up to confirmation         shared/storage/drafts.py
    store.jobs        jobs from confirmation on, their events        shared/storage/jobs.py
    store.payments    invoices, Stars payments and their refunds     shared/storage/payments.py
    store.admin       switches, action log, admin lookups, smoke     shared/storage/admin.py
    store.broadcasts  admin broadcasts                               shared/storage/broadcasts.py
    store.system      update claims, the free tier, housekeeping     shared/storage/system.py
    store.catalog_sync  the provider's catalog as the sync saw it    shared/storage/catalog_sync.py
"""
from __future__ import annotations

from google.cloud import firestore

from shared.storage.admin import Admin
from shared.storage.broadcasts import Broadcasts
from shared.storage.catalog_sync import CatalogSync
from shared.storage.drafts import Drafts
from shared.storage.jobs import Jobs
from shared.storage.payments import Payments
from shared.storage.system import System
from shared.storage.users import Users


class Store:
    def __init__(self, client: firestore.AsyncClient):
        self.db = client  # for tests and tools that read documents directly
        self.users = Users(client)
        self.drafts = Drafts(client)
        self.jobs = Jobs(client)
        self.payments = Payments(client)
        self.admin = Admin(client)
        self.broadcasts = Broadcasts(client)
        self.system = System(client)
        self.catalog_sync = CatalogSync(client)


def default_client(project: str) -> firestore.AsyncClient:
    """The library's client (production; the local stack may name another, see shared/bootstrap.py)."""
    return firestore.AsyncClient(project=project)
