"""The HTTP API: schemas, dependencies and one router per resource."""
