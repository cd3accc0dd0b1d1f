"""The chaos soak in CI size (infra/soak.py): 300+ jobs from 30 users under every fault (KIE, Telegram, storage,
killed workers) while hostile users attack; then the invariants (infra/invariants.py and the soak's own).

The large size runs on demand: ./dev soak --jobs 3000 --users 100 (its printout is in docs/performance.md).
SOAK_JOBS / SOAK_USERS change the size here.
"""
from __future__ import annotations

import os

from infra import soak


def test_chaos_soak_keeps_every_invariant():
    size = soak.Size(jobs=int(os.environ.get("SOAK_JOBS", 300)), users=int(os.environ.get("SOAK_USERS", 30)))
    report = soak.run(size, log_dir=".local/test-soak-logs")
    print("\n" + report.text())
    assert report.counts["jobs"] >= size.jobs and report.counts["users"] >= size.users, report.text()
    missing = [kind for kind in soak.FAULT_KINDS if not report.faults.get(kind)]
    assert not missing, f"fault kinds never injected: {missing}\n{report.text()}"
    untried = [kind for kind in soak.ATTACK_KINDS if not report.attacks.get(kind)]
    assert not untried, f"attacks never made: {untried}\n{report.text()}"
    assert report.counts["refunds"] > 0 and report.counts["deliveries"] > 0 and report.counts["topups"] > 0
    assert report.ok, report.text()
