"""Risk guards: every intent passes the chain; each guard approves, resizes down or denies with a reason."""
