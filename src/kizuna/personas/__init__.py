"""Personas: customers clustered on behaviour, attitude and profile; persona cards."""
