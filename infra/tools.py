"""Tools the tests run that cannot share .venv: each gets a venv of its own, set up from a pinned file."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKOV_VENV = ROOT / ".venv-checkov"
CHECKOV_REQUIREMENTS = ROOT / "infra" / "requirements-checkov.txt"


class ToolError(RuntimeError):
    """A tool could not be set up; the message says how to do it by hand."""


def checkov_exe() -> Path:
    return CHECKOV_VENV / "bin" / "checkov"


def ensure_checkov_venv() -> Path:
    """Create .venv-checkov with the pinned checkov if missing or outdated."""
    exe, stamp = checkov_exe(), CHECKOV_VENV / ".requirements-hash"
    want = hashlib.sha256(CHECKOV_REQUIREMENTS.read_bytes()).hexdigest()
    if exe.exists() and stamp.exists() and stamp.read_text().strip() == want:
        return exe
    print(f"Installing checkov into {CHECKOV_VENV} ...", file=sys.stderr, flush=True)
    try:
        if not (CHECKOV_VENV / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
        subprocess.run([str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "-r", str(CHECKOV_REQUIREMENTS)], check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        raise ToolError(f"Could not set up {CHECKOV_VENV} ({err}); by hand: python3 -m venv .venv-checkov && "
                        f".venv-checkov/bin/pip install -r {CHECKOV_REQUIREMENTS.relative_to(ROOT)}") from None
    if not exe.exists():
        raise ToolError(f"{exe} is missing after installing {CHECKOV_REQUIREMENTS.relative_to(ROOT)}")
    stamp.write_text(want)
    return exe


if __name__ == "__main__":
    try:
        ensure_checkov_venv()
    except ToolError as err:
        sys.exit(f"dev: {err}")
