"""Chat models behind one small protocol, registered like the other backends.

`openai`: any OpenAI-compatible endpoint through langchain-openai (OpenAI itself, Databricks
model serving at `https://<workspace>/serving-endpoints`, vLLM, Ollama at `.../v1`).
`azure`: Azure OpenAI (`llm_base_url` is the resource endpoint, `llm_model` the deployment).
Timeouts, retries (429 and 5xx, with the client's exponential backoff) and the key come from
Settings. Every failure becomes an `LLMUnavailable` with a one-line reason.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Protocol

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


class ChatModel(Protocol):
    name: str

    def chat(self, messages: list[dict[str, str]], json_mode: bool = True) -> ChatReply: ...


class LangChainChat:
    """A langchain `BaseChatModel` (ChatOpenAI, AzureChatOpenAI) seen through `ChatModel`."""

    def __init__(self, model: Any, name: str) -> None:
        self._model = model
        self.name = name

    def chat(self, messages: list[dict[str, str]], json_mode: bool = True) -> ChatReply:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        roles = {"system": SystemMessage, "assistant": AIMessage, "user": HumanMessage}
        lc = [roles.get(m["role"], HumanMessage)(m["content"]) for m in messages]
        extra = {"response_format": {"type": "json_object"}} if json_mode else {}
        started = time.perf_counter()
        try:
            reply = self._model.invoke(lc, **extra)
        except Exception as exc:  # the client's own exception types, translated to one line
            raise LLMUnavailable(describe_failure(exc)) from None
        usage = getattr(reply, "usage_metadata", None) or {}
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        return ChatReply(
            text=text,
            model=self.name,
            input_tokens=int(usage.get("input_tokens", 0)),
            output_tokens=int(usage.get("output_tokens", 0)),
            seconds=round(time.perf_counter() - started, 3),
        )


def describe_failure(exc: Exception) -> str:
    """A one-line reason a person can act on."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "the endpoint did not answer in time (raise FIELDSIGNAL_LLM_TIMEOUT_SECONDS?)"
    if isinstance(exc, openai.APIConnectionError):
        return "cannot reach the endpoint (check FIELDSIGNAL_LLM_BASE_URL and the network)"
    if isinstance(exc, openai.AuthenticationError):
        return "the endpoint refused the key (HTTP 401: check FIELDSIGNAL_LLM_API_KEY)"
    if isinstance(exc, openai.PermissionDeniedError):
        return "the key may not use this model (HTTP 403)"
    if isinstance(exc, openai.NotFoundError):
        return "model or route not found (HTTP 404: check FIELDSIGNAL_LLM_MODEL and the base URL)"
    if isinstance(exc, openai.RateLimitError):
        return "rate limited (HTTP 429) after retries"
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
