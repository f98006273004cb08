"""The one error of PII redaction, apart from the recogniser (importing it loads nothing heavy)."""


class RedactionUnavailable(RuntimeError):
    """The PII recogniser cannot run here, so nothing may be sent to the LLM."""
