"""The LLM agents: what a model decides, asked for pydantic contracts and checked before it is used.

- `triage_assist`: the model's second reading of the notes the offline triage was unsure of, its
  answer validated against the taxonomy and merged with the offline result (`triage_merge`);
- `text_to_sql`: a question the offline parser did not understand, answered by SQL the model writes,
  validated (read-only, vetted functions) and run on a sandboxed copy of the log.

The chat models themselves are in `fieldsignal.llm` (the edge); without one, nothing here runs.
"""
