"""Built-in source connectors (registered as plugins, like third-party ones)."""
