"""KPIs: definitions (with targets and exact wording) and the providers that compute them."""
