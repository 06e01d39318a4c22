"""Model layer: generators, the chat model, the assistant, tools, settings and the product CLI."""

from model.assistant import ClinicalAssistant, build_chat_model, load_assistant
from model.chat_models import ChatClinicalGPT
from model.errors import ConfigError, GenerationError, ModelNotFoundError
from model.settings import AppSettings, GeneratorSettings, load_settings

__all__ = [
    "AppSettings",
    "ChatClinicalGPT",
    "ClinicalAssistant",
    "ConfigError",
    "GenerationError",
    "GeneratorSettings",
    "ModelNotFoundError",
    "build_chat_model",
    "load_assistant",
    "load_settings",
]
