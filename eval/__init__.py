"""Evaluation layer: measures the assistant; nothing below imports it. (Tasks and runner come later.)"""

__all__: list[str] = []
