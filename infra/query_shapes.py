"""The shape of each Firestore query this process runs, recorded when QUERY_SHAPES_DIR names a directory.

Local stack and tests only (tests/conftest.py sets it for the session and every process it starts). The
Firestore emulator runs any query without an index; production refuses one whose composite index is
missing. So the test suite records what the code really asks (the metering interceptor in metering.py
sees every RunQuery and RunAggregationQuery on the wire) and tests/indexes.py checks each shape against
terraform/firestore.tf.

A shape is the collection, the fields compared by equality (==, in, IS NULL; array-contains kept apart),
the fields compared by range (<, <=, >, >=, !=, not-in) and the explicit order, values left out. One JSON
line per new shape, in <dir>/<pid>.jsonl.
"""
from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

ENV = "QUERY_SHAPES_DIR"
log = logging.getLogger("query_shapes")

_EQUALITY = {"EQUAL", "IN", "IS_NULL", "IS_NAN"}
_ARRAY = {"ARRAY_CONTAINS", "ARRAY_CONTAINS_ANY"}
_seen: set[str] = set()
_lock = threading.Lock()


def _filters(where: Any, out: list[tuple[str, str]]) -> None:
    if "composite_filter" in where:
        for inner in where.composite_filter.filters:
            _filters(inner, out)
    elif "field_filter" in where:
        out.append((where.field_filter.field.field_path, where.field_filter.op.name))
    elif "unary_filter" in where:
        out.append((where.unary_filter.field.field_path, where.unary_filter.op.name))


def shape(request: Any) -> dict[str, Any]:
    """The shape of a RunQuery or RunAggregationQuery request."""
    aggregation = "structured_aggregation_query" in type(request).meta.fields
    query = request.structured_aggregation_query.structured_query if aggregation else request.structured_query
    compared: list[tuple[str, str]] = []
    if "where" in query:
        _filters(query.where, compared)
    selector = query.from_[0] if query.from_ else None
    disjunction = "where" in query and "composite_filter" in query.where and query.where.composite_filter.op.name == "OR"
    return {
        "collection": selector.collection_id if selector else "",
        "group": bool(selector and selector.all_descendants),
        "equality": sorted({field for field, op in compared if op in _EQUALITY}),
        "array": sorted({field for field, op in compared if op in _ARRAY}),
        "range": sorted({field for field, op in compared if op not in _EQUALITY | _ARRAY}),
        "order": [[o.field.field_path, o.direction.name] for o in query.order_by],
        "or": disjunction,
    }


def record(request: Any) -> None:
    """Append the request's shape to this process's file, once per shape; nothing unless asked for."""
    directory = os.environ.get(ENV)
    if not directory:
        return
    line = json.dumps(shape(request), sort_keys=True)
    with _lock:
        if line in _seen:
            return
        _seen.add(line)
        try:
            with open(Path(directory) / f"{os.getpid()}.jsonl", "a") as out:
                out.write(line + "\n")
        except OSError as err:  # never fail the query itself; the index check then misses this shape
            log.warning("query shape not recorded: %s", err)


def read(directory: str | os.PathLike) -> list[dict[str, Any]]:
    """Every distinct shape recorded in a directory, by any process."""
    lines = {line for path in sorted(Path(directory).glob("*.jsonl")) for line in path.read_text().splitlines() if line}
    return [json.loads(line) for line in sorted(lines)]
