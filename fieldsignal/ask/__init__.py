"""Plain-English questions about blockers: the offline parser, periods, vetted SQL, answers with their evidence."""
