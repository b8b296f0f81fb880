"""Use cases: one function each, one transaction each. Views and CLI commands call these."""
