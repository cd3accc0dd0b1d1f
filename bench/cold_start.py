"""Cold start: time to import main (what a new instance pays before its first request). Prints numbers.

    .venv/bin/python bench/cold_start.py
"""
from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "s", "KIE_API_KEY": "k",
       "GCP_PROJECT": "p", "WORKER_URL": "http://w/", "CALLBACK_URL": "http://c/"}
SNIPPETS = {
    "functions_framework alone": "import functions_framework",
    "import main (all four targets)": "import main",
    "main + webhook's first-request imports": "import main, shared.services.bot, shared.storage.firestore",
    "main + worker's first-request imports": "import main, shared.services.generation, shared.clients.tasks, shared.storage.firestore",
}


def measure(code: str, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", f"import time;t=time.perf_counter();{code};print(time.perf_counter()-t)"],
                             cwd=ROOT, env=ENV, capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


if __name__ == "__main__":
    for name, code in SNIPPETS.items():
        print(f"{name:45s} {measure(code) * 1000:7.0f} ms (median of 7)")
