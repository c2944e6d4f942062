"""The ``api`` source: Stripe-compatible billing and Intercom-compatible support/product APIs over HTTP."""

from .http import RetryPolicy
from .source import ApiSource

__all__ = ["ApiSource", "RetryPolicy"]
