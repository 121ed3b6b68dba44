"""Answering: retrieval over a story, the trained answer reader, refusal."""
