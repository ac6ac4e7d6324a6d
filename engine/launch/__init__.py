"""Launch control: SLOs and burn rates, alerts, incidents and annotations, the launch
checklist, live success and rollback criteria, and go/no-go decisions (issue 6)."""
