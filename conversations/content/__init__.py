"""The tip library: content, validation and previews."""
