"""LLM-assisted triage: providers, the answer schema, redaction-aware calls, cache and usage."""
