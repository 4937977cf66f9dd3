"""Entities, the rules their figures obey, and the World every engine reads."""
