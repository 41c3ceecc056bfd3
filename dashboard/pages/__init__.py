"""One module per page; each exposes `build(ctx) -> Panel object`."""
