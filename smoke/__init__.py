"""Acceptance test of a deployed stack (`python -m smoke --stack NAME`), run by users after `pulumi up`."""
