"""A second test plugin: answers the sample_notes plugin's own hook (a cross-plugin hook)."""
