"""Read queries shared by the API and the dashboard: one source of truth for every list and
every number (listing with filters, sorting and pagination; analytics)."""
