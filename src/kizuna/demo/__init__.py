"""The demo workspace: a realistic Japanese hotel and online shop, deterministic by seed."""
