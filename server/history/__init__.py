"""Rounds over the years: registration, past rounds imported from spreadsheets, the 2025 merger
crosswalk, and progress toward the national targets."""
