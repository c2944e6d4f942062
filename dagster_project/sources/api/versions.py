"""The vendor API versions the api source asks for, and those its parser is tested against.

Stripe and Intercom answer in the version a request names (``Stripe-Version``,
``Intercom-Version``); without one, an account's own default applies, which
changes when the account is upgraded. The client therefore always names one:
by default the newest version whose published example objects are in
``tests/fixtures/vendor/`` (settings ``STRIPE_API_VERSION`` and
``INTERCOM_API_VERSION`` choose another). The record parsers read every
covered version's shapes, whatever was asked for.
"""

from __future__ import annotations

# Stripe: before 2025-03-31 (acacia) and after (basil, clover, dahlia) differ in invoices and lines.
STRIPE_VERSIONS_COVERED = ("2025-02-24.acacia", "2025-03-31.basil", "2025-12-15.clover", "2026-06-24.dahlia")
STRIPE_API_VERSION = STRIPE_VERSIONS_COVERED[-1]

INTERCOM_VERSIONS_COVERED = ("2.11", "2.14", "2.16")
INTERCOM_API_VERSION = INTERCOM_VERSIONS_COVERED[-1]
