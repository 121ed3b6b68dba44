"""Training scripts for the models shipped with the package (run by developers, not at runtime)."""
