"""Every Firestore query the code ran in this test session has its composite index in terraform/firestore.tf.

The Firestore emulator runs any query; production refuses one whose composite index is missing. So
conftest.py records the shape of every query (QUERY_SHAPES_DIR: this process and every function process a
local stack starts write there) and runs this test last, whatever part of the suite was selected: it checks
what that part ran (tests/indexes.py says which shapes need which index)."""
from __future__ import annotations

import os

from infra import query_shapes
from tests import indexes


def test_every_query_the_code_ran_has_its_index():
    shapes = query_shapes.read(os.environ[query_shapes.ENV])
    problems = indexes.missing(shapes)
    assert not problems, ("queries the code ran that no composite index in terraform/firestore.tf serves "
                          "(production would refuse them):\n  " + "\n  ".join(problems))
