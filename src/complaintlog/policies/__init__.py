"""Preset SLA policies as TOML files; load one with ``SlaPolicy.preset(name)``.

Each file cites the rule it models in its ``source``; ``docs/sla.md`` explains the
simplifications.
"""
