"""Triage: classify, extract and segment notes into signals (offline first)."""
