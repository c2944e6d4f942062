"""The demo source: a deterministic, vectorised generator of raw tables with a latent health signal."""

from dagster_project.sources.demo.source import DemoSource

__all__ = ["DemoSource"]
