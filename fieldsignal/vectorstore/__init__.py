"""Embeddings and the vector index (Chroma). Heavy libraries load only when used."""
