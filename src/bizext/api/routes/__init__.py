"""One router per resource; thin: parse, authorise through the service, shape the response."""
