"""Chat models behind one small protocol, registered like the other backends.

`openai`: any OpenAI-compatible endpoint through langchain-openai (OpenAI itself, Databricks
model serving at `https://<workspace>/serving-endpoints`, vLLM, Ollama at `.../v1`).
`azure`: Azure OpenAI (`llm_base_url` is the resource endpoint, `llm_model` the deployment).
langchain does what it is for: the chat model, message roles (system, user, and the model's own earlier
answer as assistant in a repair round), structured output parsed into our pydantic contracts
(`with_structured_output`, JSON mode: any OpenAI-compatible server has it), retries (429 and 5xx, with the
client's exponential backoff). Timeouts, retries and the key come from Settings. Every failure to get an
answer becomes an `LLMUnavailable` with a one-line reason; an answer that does not fit the contract is
returned with the reason, for the caller's repair round.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from fieldsignal.errors import FieldsignalError
from fieldsignal.registry import register


class LLMUnavailable(FieldsignalError):
    """The endpoint could not give an answer (unreachable, timeout, refused, rate-limited)."""


@dataclass(frozen=True)
class ChatReply:
    text: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    seconds: float = 0.0


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Structured(Generic[M]):
    """A model's answer parsed into a pydantic contract: `parsed`, or why it does not fit (`problem`)."""

    reply: ChatReply
    parsed: M | None
    problem: str | None = None


class ChatModel(Protocol):
    name: str

    def chat(self, messages: list[dict[str, str]], json_mode: bool = True) -> ChatReply: ...

    def structured(self, messages: list[dict[str, str]], schema: type[M]) -> Structured[M]: ...


class LangChainChat:
    """A langchain `BaseChatModel` (ChatOpenAI, AzureChatOpenAI) seen through `ChatModel`."""

    def __init__(self, model: Any, name: str) -> None:
        self._model = model
        self.name = name

    def chat(self, messages: list[dict[str, str]], json_mode: bool = True) -> ChatReply:
        extra = {"response_format": {"type": "json_object"}} if json_mode else {}
        started = time.perf_counter()
        return self._reply(self._invoke(self._model, messages, **extra), started)

    def structured(self, messages: list[dict[str, str]], schema: type[M]) -> Structured[M]:
        """The answer in JSON mode, parsed into `schema` by langchain (raw reply kept for usage and repair)."""
        runnable = self._model.with_structured_output(schema, method="json_mode", include_raw=True)
        started = time.perf_counter()
        out = self._invoke(runnable, messages)
        reply = self._reply(out["raw"], started)
        error = out.get("parsing_error")
        if error is not None or out.get("parsed") is None:
            return Structured(reply, None, contract_problem(error))
        return Structured(reply, out["parsed"])

    @staticmethod
    def _invoke(runnable: Any, messages: list[dict[str, str]], **extra: Any) -> Any:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        roles = {"system": SystemMessage, "assistant": AIMessage, "user": HumanMessage}
        lc = [roles.get(m["role"], HumanMessage)(m["content"]) for m in messages]
        try:
            return runnable.invoke(lc, **extra)
        except Exception as exc:  # the client's own exception types, translated to one line
            raise LLMUnavailable(describe_failure(exc)) from None

    def _reply(self, reply: Any, started: float) -> ChatReply:
        usage = getattr(reply, "usage_metadata", None) or {}
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        return ChatReply(
            text=text,
            model=self.name,
            input_tokens=int(usage.get("input_tokens", 0)),
            output_tokens=int(usage.get("output_tokens", 0)),
            seconds=round(time.perf_counter() - started, 3),
        )


def contract_problem(error: BaseException | None) -> str:
    """Why an answer does not fit the contract, in a line the model can act on in its repair round."""
    cause = error.__cause__ if error is not None else None
    if isinstance(cause, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in cause.errors()[:5])
    return "not a JSON object"


def describe_failure(exc: Exception) -> str:
    """A one-line reason a person can act on."""
    import openai

    reasons = (  # the most specific first: the status errors below are all APIStatusError
        (openai.APITimeoutError, "the endpoint did not answer in time (raise FIELDSIGNAL_LLM_TIMEOUT_SECONDS?)"),
        (openai.APIConnectionError, "cannot reach the endpoint (check FIELDSIGNAL_LLM_BASE_URL and the network)"),
        (openai.AuthenticationError, "the endpoint refused the key (HTTP 401: check FIELDSIGNAL_LLM_API_KEY)"),
        (openai.PermissionDeniedError, "the key may not use this model (HTTP 403)"),
        (openai.NotFoundError, "model or route not found (HTTP 404: check FIELDSIGNAL_LLM_MODEL and the base URL)"),
        (openai.RateLimitError, "rate limited (HTTP 429) after retries"),
    )
    for kind, reason in reasons:
        if isinstance(exc, kind):
            return reason
    if isinstance(exc, openai.APIStatusError):
        return f"the endpoint failed (HTTP {exc.status_code})"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}".strip(": ")


def _common(settings: Any) -> dict[str, Any]:
    if not settings.llm_model:
        raise FieldsignalError("no LLM model configured (set FIELDSIGNAL_LLM_MODEL)")
    return {
        "timeout": settings.llm_timeout_seconds,
        "max_retries": settings.llm_max_retries,
        "temperature": 0,
    }


@register("llm", "openai")
def _openai(settings: Any) -> ChatModel:
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    model = ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=SecretStr(settings.llm_api_key or "not-needed"),  # vLLM and Ollama take any key
        **_common(settings),
    )
    return LangChainChat(model, settings.llm_model)


@register("llm", "databricks")
def _databricks(settings: Any) -> ChatModel:
    """A Databricks model-serving endpoint (OpenAI-compatible) as the app's own identity: the token comes
    from databricks-sdk's unified auth (the app's service principal inside the Apps runtime, a profile or
    DATABRICKS_TOKEN elsewhere) and is asked for on every call, so an expired OAuth token is renewed."""
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    try:
        from databricks.sdk.core import Config
    except ImportError:
        raise FieldsignalError("the databricks provider needs databricks-sdk: pip install databricks-sdk") from None
    try:
        config = Config()
    except Exception as exc:
        raise FieldsignalError(f"no Databricks credentials for the serving endpoint: {describe_failure(exc)}") from None
    base_url = settings.llm_base_url or f"{(config.host or '').rstrip('/')}/serving-endpoints"

    def token() -> str:
        return str(config.authenticate().get("Authorization", "")).removeprefix("Bearer ")

    model = ChatOpenAI(
        model=settings.llm_model,
        base_url=base_url,
        api_key=SecretStr(settings.llm_api_key) if settings.llm_api_key else token,
        **_common(settings),
    )
    return LangChainChat(model, settings.llm_model)


@register("llm", "azure")
def _azure(settings: Any) -> ChatModel:
    from langchain_openai import AzureChatOpenAI
    from pydantic import SecretStr

    if not settings.llm_base_url:
        raise FieldsignalError("Azure OpenAI needs FIELDSIGNAL_LLM_BASE_URL (the resource endpoint)")
    model = AzureChatOpenAI(
        azure_deployment=settings.llm_model,
        azure_endpoint=settings.llm_base_url,
        api_key=SecretStr(settings.llm_api_key) if settings.llm_api_key else None,
        api_version=settings.llm_api_version or "2024-10-21",
        **_common(settings),
    )
    return LangChainChat(model, settings.llm_model)


def _web_page_instead(settings: Any) -> str | None:
    """Why a call failed when the URL serves a web page (a sign-in or proxy page) instead of the API."""
    import httpx

    url = (settings.llm_base_url or "https://api.openai.com/v1").rstrip("/") + "/chat/completions"
    body = {"model": settings.llm_model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
    try:
        r = httpx.post(url, json=body, headers={"Authorization": f"Bearer {settings.llm_api_key or 'x'}"},
                       timeout=settings.llm_timeout_seconds)  # fmt: skip
    except httpx.HTTPError:
        return None
    start = r.text.lstrip()[:15].lower()
    if "html" not in r.headers.get("content-type", "") and not start.startswith(("<!doctype", "<html")):
        return None
    title = re.search(r"<title>(.*?)</title>", r.text, re.I | re.S)
    named = f", {title.group(1).strip()[:60]!r}" if title else ""
    return (
        f"the endpoint answered with a web page (HTTP {r.status_code}{named}), not the OpenAI API: check "
        "FIELDSIGNAL_LLM_BASE_URL (it usually ends in /v1; Databricks serving: https://<workspace>/serving-endpoints)"
    )


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    provider: str
    model: str | None
    base_url: str | None
    seconds: float
    message: str


def check(settings: Any) -> CheckResult:
    """One tiny JSON round trip: is the endpoint reachable, is the key accepted, does the model answer JSON?"""
    from fieldsignal import registry

    started = time.perf_counter()

    def result(ok: bool, message: str) -> CheckResult:
        seconds = round(time.perf_counter() - started, 3)
        return CheckResult(ok, settings.llm_provider, settings.llm_model, settings.llm_base_url, seconds, message)

    try:
        chat = registry.create("llm", settings.llm_provider, settings)
        reply = chat.chat([{"role": "user", "content": 'Reply with exactly this JSON: {"ok": true}'}])
    except FieldsignalError as exc:
        page = _web_page_instead(settings) if settings.llm_provider == "openai" else None
        return result(False, page or str(exc))
    try:
        answered = json.loads(reply.text)
    except ValueError:
        return result(False, f"the model answered, but not in JSON: {reply.text[:80]!r}")
    if not isinstance(answered, dict):
        return result(False, f"the model answered JSON, but not an object: {reply.text[:80]!r}")
    return result(True, f"ok: {reply.model} answered JSON ({reply.input_tokens}+{reply.output_tokens} tokens)")
