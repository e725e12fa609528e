"""Verify the whole cluster a stack would make, offline: rendered charts, the program's objects, the
controllers' run-time objects, node pools and the cloud's network, against the checks in `checks.py`."""
