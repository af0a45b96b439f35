"""KPI packs: calculators that know a domain, registered through the same hooks as any plugin."""
