"""The dashboard's services (admin/ports/), built on the same use cases as the CLI."""
