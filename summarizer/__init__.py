"""The language work: pure, typed, no discord or database imports."""
