"""The services the dashboard and API call, as Protocols; bot/desks/ implements them."""
