"""Plain-English questions about blockers: parser, vetted SQL, answers with their evidence."""
