"""Product analytics: Segment-shaped events in; active users, funnels, retention, adoption
and customer voice out.

Raw events are kept for funnels and audits; every per-day KPI reads small rollups that the
importer keeps up to date (see `engine.product.rollups`), so a year of events stays fast.
"""
