"""Pure parsers for what parents type: words, dates and choices."""
