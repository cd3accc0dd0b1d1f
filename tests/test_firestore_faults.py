"""The storage fault proxy (infra/firestore_faults.py) between a Firestore client and the emulator: every
kind of fault does what it says, and the rest passes through untouched."""
from __future__ import annotations

import os
import uuid

import pytest
from google.api_core import exceptions
from google.cloud import firestore

from infra.firestore_faults import FaultControl
from infra.stack import LocalStack, StackPorts


@pytest.fixture(scope="module")
def faulty_stack():
    """Emulators and simulators with the fault proxy (the functions are not needed here)."""
    stack = LocalStack(StackPorts.free(), log_dir=".local/test-faults-logs", with_functions=False,
                       firestore_faults=True)
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
def faults(faulty_stack):
    control = FaultControl(faulty_stack.fault_control_url)
    control.reset()
    yield control
    control.reset()
    control.close()


def client_at(host: str, project: str) -> firestore.Client:
    previous = os.environ.get("FIRESTORE_EMULATOR_HOST")
    os.environ["FIRESTORE_EMULATOR_HOST"] = host  # read only while the client is built
    try:
        return firestore.Client(project=project)
    finally:
        if previous is None:
            del os.environ["FIRESTORE_EMULATOR_HOST"]
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = previous


@pytest.fixture
def db(faulty_stack):
    """(client through the proxy, as the functions are; client straight to the emulator, the truth)."""
    project = f"faults-{uuid.uuid4().hex[:8]}"
    through = client_at(faulty_stack.env()["FIRESTORE_EMULATOR_HOST"], project)
    direct = client_at(f"127.0.0.1:{faulty_stack.ports.firestore}", project)
    yield through, direct
    through.close()
    direct.close()


def test_the_functions_reach_firestore_through_the_proxy_and_wipes_do_not(faulty_stack):
    env = faulty_stack.env()

    assert env["FIRESTORE_EMULATOR_HOST"] == f"127.0.0.1:{faulty_stack.ports.faults}"
    faulty_stack.wipe_firestore()  # REST, straight to the emulator
    plain = LocalStack(StackPorts.free())
    assert plain.env()["FIRESTORE_EMULATOR_HOST"] == f"127.0.0.1:{plain.ports.firestore}"


def test_everything_passes_through_when_off(db, faults):
    through, direct = db
    ref = through.collection("things").document("a")
    ref.set({"n": 1})

    @firestore.transactional
    def bump(tx):
        tx.update(ref, {"n": ref.get(transaction=tx).get("n") + 1})

    bump(through.transaction())
    found = [s.id for s in through.collection("things").where(filter=firestore.FieldFilter("n", "==", 2)).stream()]
    count = through.collection("things").count().get()[0][0].value

    assert direct.collection("things").document("a").get().to_dict() == {"n": 2}
    assert found == ["a"] and count == 1
    state = faults.state()
    assert state["injected"] == {}
    assert {"Commit", "BatchGetDocuments", "RunQuery", "RunAggregationQuery", "BeginTransaction"} <= set(state["calls"])


@pytest.mark.parametrize("kind, error", [("unavailable", exceptions.ServiceUnavailable),
                                         ("deadline", exceptions.DeadlineExceeded)])
def test_a_call_failed_before_forwarding_changes_nothing(db, faults, kind, error):
    through, direct = db
    faults.plan(kind, rpc="Commit")

    with pytest.raises(error):
        through.collection("things").document("b").create({"n": 1}, retry=None)

    assert not direct.collection("things").document("b").get().exists
    assert faults.injected() == {kind: 1} and faults.state()["by_rpc"] == {f"{kind} Commit": 1}


def test_reads_fail_too_and_the_library_retries_them(db, faults):
    through, direct = db
    direct.collection("things").document("c").set({"n": 3})
    faults.plan("unavailable", rpc="BatchGetDocuments")
    faults.plan("deadline", rpc="BatchGetDocuments")

    assert through.collection("things").document("c").get().get("n") == 3  # third try

    assert faults.injected() == {"unavailable": 1, "deadline": 1}


def test_an_aborted_commit_makes_the_transaction_run_again(db, faults):
    through, direct = db
    ref = through.collection("things").document("d")
    ref.set({"n": 0})
    runs = []

    @firestore.transactional
    def bump(tx):
        runs.append(1)
        tx.update(ref, {"n": ref.get(transaction=tx).get("n") + 1})

    faults.plan("aborted", rpc="Commit", match="things/d")
    bump(through.transaction())

    assert len(runs) == 2 and direct.collection("things").document("d").get().get("n") == 1
    assert faults.injected() == {"aborted": 1}


def test_aborted_hits_reads_inside_a_transaction_only(db, faults):
    through, _ = db
    ref = through.collection("things").document("e")
    ref.set({"n": 0})
    faults.set(aborted=1.0)

    assert ref.get().get("n") == 0  # a plain read: never aborted

    @firestore.transactional
    def read(tx):
        return ref.get(transaction=tx).get("n")

    with pytest.raises(exceptions.Aborted):
        read(through.transaction())  # this library version does not retry an aborted read
    assert faults.state()["by_rpc"] == {"aborted BatchGetDocuments": 1}


def test_a_lost_commit_answer_leaves_the_write_applied(db, faults):
    through, direct = db
    faults.plan("commit_lost", match="things/f")

    with pytest.raises((exceptions.ServiceUnavailable, exceptions.DeadlineExceeded)):
        through.collection("things").document("f").create({"n": 6}, retry=None)

    assert direct.collection("things").document("f").get().to_dict() == {"n": 6}
    assert faults.injected() == {"commit_lost": 1}


def test_a_lost_commit_answer_and_the_library_retry_turn_a_first_create_into_already_exists(db, faults):
    """How one lost answer drops a Telegram update: the client library retries the UNAVAILABLE commit,
    and the retry finds the claim its own first try wrote."""
    through, direct = db
    faults.plan("commit_lost", match="claims/42", code="UNAVAILABLE")

    with pytest.raises(exceptions.AlreadyExists):
        through.collection("claims").document("42").create({"seen": True})

    assert direct.collection("claims").document("42").get().exists
    assert faults.state()["calls"]["Commit"] == 2


def test_a_lost_transaction_commit_is_an_error_although_it_applied(db, faults):
    through, direct = db
    ref = through.collection("things").document("h")
    ref.set({"n": 0})

    @firestore.transactional
    def bump(tx):
        tx.update(ref, {"n": ref.get(transaction=tx).get("n") + 1})

    faults.plan("commit_lost", match="things/h", code="DEADLINE_EXCEEDED")
    with pytest.raises(exceptions.DeadlineExceeded):
        bump(through.transaction())

    assert direct.collection("things").document("h").get().get("n") == 1


def test_random_shares_are_counted_per_kind_and_rpc(db, faults):
    through, _ = db
    faults.set(unavailable=1.0)
    with pytest.raises(exceptions.ServiceUnavailable):
        through.collection("things").document("g").set({"n": 1}, retry=None)
    faults.set(unavailable=0.0, commit_lost=1.0)
    with pytest.raises((exceptions.ServiceUnavailable, exceptions.DeadlineExceeded)):
        through.collection("things").document("g").set({"n": 2}, retry=None)

    state = faults.state()
    assert state["rates"]["commit_lost"] == 1.0 and state["injected"] == {"unavailable": 1, "commit_lost": 1}
    with pytest.raises(ValueError, match="between 0 and 1"):
        faults.set(aborted=2)
    with pytest.raises(ValueError, match="unknown fault kind"):
        faults.set(lost=0.1)
    with pytest.raises(ValueError, match="Commit only"):
        faults.plan("commit_lost", rpc="RunQuery")
