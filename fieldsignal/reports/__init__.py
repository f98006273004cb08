"""Reports drafted from the log: the figures behind the memos, the weekly memo, the monthly newsletter
and loss summary, the success metrics, and the drafts' review (edit, approve, publish)."""
