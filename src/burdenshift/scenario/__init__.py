"""Scenarios: the policy choices and overrides a run applies to the World."""
