"""Which composite index each recorded query shape needs, and whether terraform/firestore.tf has it.

Firestore serves without a composite index: equality filters alone (single-field indexes, merged), and a
single field filtered by range and/or ordered (its single-field index, either direction). Anything else
(equality plus an order or a range on another field, or several fields in the order) needs a composite
index whose fields are the equality fields (any order, any direction) followed by the sort: the explicit
order, then the range fields Firestore sorts by implicitly (ascending). `__name__` is implicit in every
index. An index serves one sort direction (it is not read backwards here), so a cursor page in both
directions needs both indexes."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2

ROOT = Path(__file__).resolve().parents[1]
FIRESTORE_TF = ROOT / "terraform" / "firestore.tf"
ASC = "ASCENDING"


def plain(value: Any) -> Any:
    """python-hcl2 output without its markers: quoted strings unquoted, `__is_block__` etc. dropped."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items() if not (k.startswith("__") and k.endswith("__"))}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def terraform_indexes(path: Path = FIRESTORE_TF) -> list[dict[str, Any]]:
    """google_firestore_index resources: collection, scope and [(field, ASCENDING|DESCENDING|CONTAINS)]."""
    with path.open() as handle:
        parsed = plain(hcl2.load(handle))
    found = []
    for block in parsed.get("resource", []):
        for name, body in block.get("google_firestore_index", {}).items():
            fields = [(f["field_path"], f.get("order") or f.get("array_config")) for f in body["fields"]]
            found.append({"name": name, "collection": body["collection"], "fields": fields,
                          "group": body.get("query_scope", "COLLECTION") == "COLLECTION_GROUP"})
    return found


def needed(shape: dict[str, Any]) -> dict[str, Any] | None:
    """The composite index a query shape needs, or None when single-field indexes serve it."""
    equality = set(shape["equality"])
    order = [(field, direction) for field, direction in shape["order"] if field != "__name__" and field not in equality]
    for field in sorted(shape["range"]):  # Firestore sorts by an inequality field after the explicit order
        if field not in [f for f, _ in order]:
            order.append((field, ASC))
    if not order or (not equality and not shape["array"] and len(order) == 1):
        return None
    return {"collection": shape["collection"], "group": shape["group"], "equality": sorted(equality),
            "array": sorted(shape["array"]), "order": order}


def serves(index: dict[str, Any], need: dict[str, Any]) -> bool:
    if index["collection"] != need["collection"] or index["group"] != need["group"]:
        return False
    fields = [f for f in index["fields"] if f[0] != "__name__"]
    head, tail = fields[:len(need["equality"]) + len(need["array"])], fields[len(need["equality"]) + len(need["array"]):]
    prefix_ok = ({f for f, mode in head if mode != "CONTAINS"} == set(need["equality"])
                 and {f for f, mode in head if mode == "CONTAINS"} == set(need["array"]))
    return prefix_ok and [tuple(f) for f in tail] == [tuple(o) for o in need["order"]]


def describe(shape: dict[str, Any]) -> str:
    parts = [f"{field} ==" for field in shape["equality"]] + [f"{field} array-contains" for field in shape["array"]]
    parts += [f"{field} <>" for field in shape["range"]]
    where = " where " + " and ".join(parts) if parts else ""
    order = " order by " + ", ".join(f"{f} {d[:4].lower()}" for f, d in shape["order"]) if shape["order"] else ""
    return f"{'group ' if shape['group'] else ''}{shape['collection']}{where}{order}"


def missing(shapes: list[dict[str, Any]], indexes: list[dict[str, Any]] | None = None) -> list[str]:
    """One line per query shape no index of terraform/firestore.tf serves, naming the query and the index."""
    indexes = terraform_indexes() if indexes is None else indexes
    problems = []
    for shape in shapes:
        if shape.get("or"):
            problems.append(f"{describe(shape)}: an OR query; check its index by hand and teach tests/indexes.py")
            continue
        need = needed(shape)
        if need and not any(serves(index, need) for index in indexes):
            fields = [(f, ASC) for f in need["equality"]] + [(f, "CONTAINS") for f in need["array"]] + need["order"]
            problems.append(f"{describe(shape)}: needs an index on {need['collection']} ("
                            + ", ".join(f"{f} {m}" for f, m in fields) + ")")
    return sorted(set(problems))
