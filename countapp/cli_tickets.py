"""Ticket commands: generate, issue, return, list, print, void, control."""
from __future__ import annotations
