"""CLI: python -m infra.telegram_sim --port 8691 --token TOKEN"""
import argparse
import signal
import threading
import time

from .server import TelegramSimulator


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m infra.telegram_sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8691)
    parser.add_argument("--token", default="123456:ABC")
    parser.add_argument("--bot-username", default="ai_studio_sim_bot")
    parser.add_argument("--bot-name", default="AI Studio")
    # A restarted simulator must not reuse update_ids a running bot has already deduplicated.
    parser.add_argument("--first-update-id", type=int, default=None,
                        help="first update_id (default: derived from the clock so restarts keep increasing)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    first_update_id = args.first_update_id or int(time.time() * 10)
    sim = TelegramSimulator(args.host, args.port, args.token, args.bot_name, args.bot_username,
                            first_update_id).start()
    print(f"Telegram simulator on {sim.base_url}", flush=True)
    stopped.wait()
    sim.stop()


if __name__ == "__main__":
    main()
