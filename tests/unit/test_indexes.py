"""The query-shape index check (tests/indexes.py) on queries built with the real client, no server needed."""
from __future__ import annotations

from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1.types import RunAggregationQueryRequest, RunQueryRequest, StructuredAggregationQuery

from infra import query_shapes
from tests import indexes

DB = firestore.AsyncClient(project="p", credentials=AnonymousCredentials())
DESC = firestore.Query.DESCENDING


def eq(field, value):
    return firestore.FieldFilter(field, "==", value)


def shape_of(query) -> dict:
    return query_shapes.shape(RunQueryRequest(parent="projects/p/databases/(default)/documents",
                                              structured_query=query._to_protobuf()))


def user_card():  # the admin user screen: store.jobs.recent_of(user) (no states)
    return DB.collection("jobs").where(filter=eq("user_id", 7)).order_by("created_at", direction=DESC).limit(8)


def test_a_shape_keeps_the_fields_and_the_order_not_the_values():
    assert shape_of(user_card()) == {"collection": "jobs", "group": False, "equality": ["user_id"], "array": [],
                                     "range": [], "order": [["created_at", "DESCENDING"]], "or": False}
    sweep = (DB.collection("jobs").where(filter=firestore.FieldFilter("state", "in", ["running"]))
             .where(filter=firestore.FieldFilter("updated_at", "<", 5)).order_by("updated_at"))
    assert shape_of(sweep) == {"collection": "jobs", "group": False, "equality": ["state"], "array": [],
                               "range": ["updated_at"], "order": [["updated_at", "ASCENDING"]], "or": False}
    undelivered = DB.collection("jobs").where(filter=eq("delivered_at", None)).where(filter=eq("state", "succeeded"))
    assert shape_of(undelivered)["equality"] == ["delivered_at", "state"]
    count = DB.collection("jobs").where(filter=eq("user_id", 7)).count()
    request = RunAggregationQueryRequest(parent="projects/p/databases/(default)/documents",
                                         structured_aggregation_query=StructuredAggregationQuery(
                                             structured_query=count._nested_query._to_protobuf()))
    assert query_shapes.shape(request)["equality"] == ["user_id"]


def test_single_field_indexes_serve_equality_alone_and_one_field_ranges_or_orders():
    assert indexes.needed(shape_of(DB.collection("jobs").where(filter=eq("user_id", 1)).where(filter=eq("state", "x")))) is None
    assert indexes.needed(shape_of(DB.collection("jobs").where(filter=firestore.FieldFilter("expire_at", "<", 1)))) is None
    assert indexes.needed(shape_of(DB.collection("admin_actions").order_by("at", direction=DESC))) is None
    assert indexes.needed(shape_of(DB.collection("users").order_by("user_id").start_after({"user_id": 3}))) is None


def test_the_admin_user_card_needs_its_index_and_terraform_has_it():
    need = indexes.needed(shape_of(user_card()))
    assert need == {"collection": "jobs", "group": False, "equality": ["user_id"], "array": [],
                    "order": [("created_at", "DESCENDING")]}
    everything = indexes.terraform_indexes()
    assert indexes.missing([shape_of(user_card())], everything) == []
    without = [index for index in everything if index["name"] != "jobs_user_created_desc"]
    assert indexes.missing([shape_of(user_card())], without) == [
        "jobs where user_id == order by created_at desc: needs an index on jobs (user_id ASCENDING, "
        "created_at DESCENDING)"]


def test_an_index_serves_one_direction_and_equality_fields_in_any_order():
    history_newer = (DB.collection("jobs").where(filter=eq("user_id", 1))
                     .where(filter=firestore.FieldFilter("state", "in", ["succeeded"])).order_by("created_at"))
    asc = {"name": "a", "collection": "jobs", "group": False,
           "fields": [("state", "ASCENDING"), ("user_id", "DESCENDING"), ("created_at", "ASCENDING")]}
    desc = {**asc, "fields": [("user_id", "ASCENDING"), ("state", "ASCENDING"), ("created_at", "DESCENDING")]}
    assert indexes.missing([shape_of(history_newer)], [asc]) == []
    assert indexes.missing([shape_of(history_newer)], [desc]) != []
    assert indexes.missing([shape_of(history_newer)], [{**asc, "collection": "ledger"}]) != []
