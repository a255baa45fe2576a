"""HTTP: the only package that imports FastAPI (app factory, routes, schemas, problem mapping)."""
