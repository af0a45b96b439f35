"""Built-in reporters (registered as plugins, like third-party ones)."""
