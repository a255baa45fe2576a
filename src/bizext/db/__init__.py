"""Persistence: the only package that imports SQLAlchemy (models, engine, unit of work, repositories)."""
