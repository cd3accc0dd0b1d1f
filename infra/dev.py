"""`python -m infra.dev run [--no-chat]` and `python -m infra.dev test [pytest args]` (via ./dev)."""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import threading
import sys
import time

from infra.stack import ADMIN_IDS, ROOT, LocalStack, StackError, StackPorts


def run(no_chat: bool, user_id: str, lang: str, free_ports: bool = False) -> int:
    # Free ports let two checkouts play at once; the chat is then pointed at the printed simulator URL.
    ports = StackPorts.free() if free_ports else StackPorts.default()
    busy = ports.busy()
    if busy:
        for name, port in busy:
            print(f"Port {port} ({name}) is already in use: stop whatever holds it "
                  f"(another ./dev run?) and try again.", file=sys.stderr)
        return 1
    stack = LocalStack(ports)
    chat = None
    stop_schedule = threading.Event()
    try:
        print("Starting the local stack ...", flush=True)
        started = time.monotonic()
        stack.start()
        schedule = threading.Thread(target=stack.run_schedule, args=(stop_schedule,), daemon=True)
        schedule.start()
        print(
            f"\nAI Studio local stack is up ({time.monotonic() - started:.1f}s):\n"
            f"  webhook             {stack.webhook_url}\n"
            f"  Telegram simulator  {stack.url('telegram')}\n"
            f"  KIE simulator       {stack.url('kie')}\n"
            f"  Firestore emulator  {stack.url('firestore')}\n"
            f"  scheduled functions sweep every 60 s, free tier every 10 min, housekeeping and the catalog sync hourly\n"
            f"  logs in             {stack.log_dir.relative_to(ROOT)}/\n"
            + ("Use another terminal to talk to it" if no_chat else f"Talking to the bot as user {user_id} below")
            + "; Ctrl-C stops everything.\n",
            flush=True,
        )
        if no_chat:
            while True:
                time.sleep(3600)
        chat = subprocess.Popen(
            [sys.executable, "-m", "infra.chat", "--sim", stack.url("telegram"),
             "--user-id", user_id, "--lang", lang],
            cwd=ROOT,
        )
        chat.wait()
    except KeyboardInterrupt:
        pass
    except StackError as err:
        print(f"\n{err}", file=sys.stderr)
        return 1
    finally:
        if chat is not None and chat.poll() is None:
            try:
                chat.wait(timeout=3)  # it got the same Ctrl-C
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                chat.kill()
        print("\nStopping the local stack ...", flush=True)
        stop_schedule.set()
        stack.stop()
        print("Stopped.")
    return 0


def test(args: list[str]) -> int:
    # Run tests/ unless a path was given.
    paths = [a for a in args if not a.startswith("-") and os.path.exists(a.split("::")[0])]
    cmd = [sys.executable, "-m", "pytest", *([] if paths else ["tests/"]), *args]
    code = subprocess.call(cmd, cwd=ROOT)
    if code == 5:
        print("pytest collected no tests (exit code 5): that is a failure here.", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # SIGTERM (e.g. CI killing us) unwinds like Ctrl-C, so the stack is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if argv[:1] == ["test"]:
        return test(argv[1:])
    if argv[:1] == ["soak"]:
        from infra import soak

        return soak.main(argv[1:])
    parser = argparse.ArgumentParser(prog="./dev", description="AI Studio local development.")
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="start the local stack and chat with the bot in this terminal")
    run_p.add_argument("--no-chat", action="store_true", help="keep the stack up until Ctrl-C, no chat")
    run_p.add_argument("--user-id", default=ADMIN_IDS.split(",")[0], help="Telegram user id to chat as")
    run_p.add_argument("--lang", default="ru", help="Telegram language code of that user")
    run_p.add_argument("--free-ports", action="store_true",
                       help="any free ports instead of 8681-8706 (then: python -m infra.chat --sim <printed URL>)")
    sub.add_parser("test", help="run pytest on tests/ (extra arguments go to pytest)")
    sub.add_parser("soak", help="the chaos soak on its own stack: ./dev soak --jobs 3000 --users 100")
    args = parser.parse_args(argv)
    return run(args.no_chat, args.user_id, args.lang, args.free_ports)


if __name__ == "__main__":
    sys.exit(main())
