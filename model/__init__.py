"""Model layer: settings, the product CLI (generation and the assistant come next)."""

from model.errors import ConfigError
from model.settings import AppSettings, load_settings

__all__ = ["AppSettings", "ConfigError", "load_settings"]
