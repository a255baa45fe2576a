"""Request and response bodies (pydantic), never the ORM classes."""
