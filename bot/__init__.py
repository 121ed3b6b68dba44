"""Briefbot: the application (settings, storage, ingestion, services, CLI)."""

__version__ = "0.1.0"
