"""bizext: a workflow engine for electric-utility business expansion (业扩报装)."""

__version__ = "0.1.0"
