"""Built-in generic calculators (registered as plugins, like third-party ones)."""
