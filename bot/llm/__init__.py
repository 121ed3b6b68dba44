"""An OpenAI-compatible language model (Ollama, vLLM, llama.cpp, LM Studio or a hosted API), off
unless ``LLM_BASE_URL`` is set; what it writes is shown only after summarizer.grounding checks it."""
