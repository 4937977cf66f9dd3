"""Engines: pure functions of a World and a Scenario that return Results."""
