"""CLI: python -m infra.kie_sim --port 8690 --api-key KEY --hmac-key KEY [--latency-ms N] ..."""
import argparse
import signal
import threading

from .config import DEFAULTS, option_type
from .server import KieSimulator


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m infra.kie_sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8690)
    for key, default in DEFAULTS.items():
        flag = "--" + key.replace("_", "-")
        kind = option_type(key)
        if kind is bool:
            parser.add_argument(flag, dest=key, action="store_true", default=default)
        else:
            parser.add_argument(flag, dest=key, type=kind, default=default)
    return vars(parser.parse_args(argv))


def main(argv=None):
    options = parse_args(argv)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    sim = KieSimulator(**options).start()
    print(f"KIE simulator on {sim.base_url}", flush=True)
    stopped.wait()
    sim.stop()


if __name__ == "__main__":
    main()
