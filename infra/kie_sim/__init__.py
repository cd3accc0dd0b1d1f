"""A local KIE.ai API simulator (createTask, recordInfo, callbacks, uploads)."""
from .server import KieSimulator, create_app
from .webhook import sign as sign_webhook

__all__ = ["KieSimulator", "create_app", "sign_webhook"]
