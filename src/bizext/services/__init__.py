"""Use cases, one module per resource, named in the utility's words. Each takes a unit of work, the
acting principal and `now`, and commits explicitly when it succeeds."""
