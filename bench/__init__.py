"""bizext benchmark (issue 6): API transitions/s beside PostgreSQL's own ceiling, in one run.

Run `python -m bench --scale small --duration 20` or `make bench`. See bench/__main__.py for the phases.
"""
