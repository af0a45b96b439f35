"""The engine: plan fused queries, execute them, evaluate targets. Not part of the plugin API."""
