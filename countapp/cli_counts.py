"""Count commands: import counts (paper parts), recounts."""
from __future__ import annotations
