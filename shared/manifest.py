"""functions/manifest.json: what each function is and which settings sections (and so secrets) it may read.

The same file drives Terraform (terraform/functions.tf `jsondecode`) and the local stack (infra/stack.py),
so a function runs locally with exactly what its deployment gives it.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

MANIFEST = "functions/manifest.json"
MANIFEST_PATH = Path(__file__).resolve().parents[1] / MANIFEST


@lru_cache(maxsize=1)
def manifest() -> dict[str, Any]:
    return json.loads(MANIFEST_PATH.read_text())


def functions() -> dict[str, dict[str, Any]]:
    """Function name (the Cloud Run service, K_SERVICE) -> its entry."""
    return manifest()["functions"]


def name_of(target: str) -> str:
    """The function serving a main.py target."""
    for name, entry in functions().items():
        if entry["target"] == target:
            return name
    raise KeyError(f"no function in {MANIFEST} serves the target {target!r}")


def sections_of(function: str) -> list[str]:
    return list(functions()[function]["sections"])


def section_secrets(section: str) -> list[str]:
    return list(manifest()["sections"][section]["secrets"])


def secrets_of(function: str) -> list[str]:
    """The secrets a function is given: those of its sections."""
    return sorted({secret for section in sections_of(function) for secret in section_secrets(section)})


def all_secrets() -> list[str]:
    return sorted({secret for section in manifest()["sections"] for secret in section_secrets(section)})


def current_function(environ: Mapping[str, str] = os.environ) -> str | None:
    """The deployed function this process is, from K_SERVICE (Cloud Run sets it to the service name, which
    Terraform makes the function's name; the local stack sets it too). None when unset: a test or a tool,
    which reads every section. FUNCTION_TARGET, when also set, must be that function's target."""
    name = environ.get("K_SERVICE", "")
    if not name:
        return None
    if name not in functions():
        raise ValueError(f"K_SERVICE={name} is not a function of {MANIFEST}")
    target = environ.get("FUNCTION_TARGET", "")
    if target and target != functions()[name]["target"]:
        raise ValueError(f"K_SERVICE={name} serves {functions()[name]['target']}, not FUNCTION_TARGET={target}")
    return name
