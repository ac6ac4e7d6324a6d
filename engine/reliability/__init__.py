"""Reliability: uptime probes, request logs and the KPIs measured from them (issue 6)."""
