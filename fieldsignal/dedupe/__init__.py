"""Second reports and new gaps: the learned duplicate scorer (its candidates, features, training) and
the grouping of signals that propose a gap the taxonomy does not have."""
