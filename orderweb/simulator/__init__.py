"""Local stand-in of the OrderWeb platform (needs aiohttp, a development dependency)."""

from .server import OrderWebSimulator
from .thread import SimulatorThread

__all__ = ["OrderWebSimulator", "SimulatorThread"]
