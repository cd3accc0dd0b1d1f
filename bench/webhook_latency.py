"""Webhook latency as Telegram sees it (the simulator times each delivery), on the local stack.

    .venv/bin/python bench/webhook_latency.py [rounds]
"""
from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.stack import LocalStack, StackPorts  # noqa: E402
from infra.telegram_sim.client import SimClient  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def main(rounds: int) -> None:
    with LocalStack(StackPorts.free(), log_dir=".local/bench-logs") as stack:
        sim = SimClient(stack.url("telegram"))
        timings: dict[str, list[float]] = {"/start": [], "menu button": [], "model card": [], "first update (cold)": []}
        for i in range(rounds):
            uid = 20000 + i
            result = sim.send_text(uid, "/start")
            timings["first update (cold)" if i == 0 else "/start"].append(result["elapsed_ms"])
            message_id = sim.messages(uid)["messages"][-1]["message_id"]
            timings["menu button"].append(sim.press(uid, message_id, button_text="🖼 Изображения")["elapsed_ms"])
            timings["model card"].append(sim.press(uid, message_id, index=1)["elapsed_ms"])
        for name, values in timings.items():
            if values:
                print(f"{name:22s} n={len(values):3d}  p50={statistics.median(values):6.0f} ms  p95={pct(values, 0.95):6.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
