"""The edge: OpenAI-compatible chat models (registered as `llm` backends) and the pydantic contracts
their answers are parsed into. Used by the agents, the memo polish and nothing offline."""
