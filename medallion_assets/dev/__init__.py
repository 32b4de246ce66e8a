"""Local-only tooling: the embedded stand-in servers, synthetic data, seeding and the local pipeline runner.

Imported by the CLI and the tests, never by defs/ or lib/; the stand-in packages come with the `local` extra.
"""
