"""Alerts: the transitions CSMs must hear about (newly RISK, a sharp health drop), each posted once."""
