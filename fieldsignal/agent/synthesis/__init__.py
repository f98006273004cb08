"""Synthesis: the figures behind the memos, the drafts drafted from them, and their review."""
