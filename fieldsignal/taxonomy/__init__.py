"""The taxonomy: signal types, categories, gaps, statuses and priorities, as data."""

from fieldsignal.taxonomy.loader import (
    DEFAULT_TAXONOMY,
    Gap,
    Taxonomy,
    load_taxonomy,
    taxonomy_from_labels,
)

__all__ = ["DEFAULT_TAXONOMY", "Gap", "Taxonomy", "load_taxonomy", "taxonomy_from_labels"]
