"""The domain: workflow definitions, the engine that fires transitions, owner selection rules.

Pure: stdlib, transitions, jsonschema and yaml only. No web framework, no database, no clock reads.
"""
