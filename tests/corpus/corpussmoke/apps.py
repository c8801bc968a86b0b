from django.apps import AppConfig


class CorpusSmokeConfig(AppConfig):
    """Management commands of the corpus tests; no models of its own."""
    name = "corpussmoke"
