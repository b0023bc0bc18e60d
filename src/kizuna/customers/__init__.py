"""Customers: the 360° profile — attributes, identities, interactions."""
